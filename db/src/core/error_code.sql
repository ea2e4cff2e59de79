-- Every error a Lendgres function raises on purpose has a stable machine code, listed here with its HTTP status.
-- lending_private.fail() raises it with SQLSTATE 'LN' || status (class LN is ours), the human message as the
-- message, and a JSON object as the detail: {"code", "title", plus the facts a caller needs to correct itself}.
create table lending_private.error_code (
  code text primary key constraint error_code_is_snake_case check (code ~ '^[a-z][a-z0-9_]*$'),
  http_status smallint not null constraint error_code_status_is_client_error check (http_status between 400 and 499),
  title text not null,
  description text not null
);
comment on table lending_private.error_code is
  'The catalogue of machine error codes; db/README.md documents the same list and a test keeps them equal.';

insert into lending_private.error_code (code, http_status, title, description) values
  ('validation_failed', 422, 'Validation failed',
   'One or more arguments are invalid; detail.errors lists each field and what is wrong with it.'),
  ('not_found', 404, 'Not found',
   'The resource does not exist; detail names the resource and the id that was looked up.'),
  ('invalid_transition', 409, 'Invalid status transition',
   'The application cannot move from its current status to the requested one; detail.allowed lists the statuses it can move to.'),
  ('version_conflict', 409, 'Version conflict',
   'The expected version does not match the current one; re-read the resource and retry with detail.current_version.'),
  ('idempotency_key_reused', 422, 'Idempotency key reused',
   'The idempotency key was already used by this actor for a different request; use a new key for a new request.'),
  ('applicant_exists', 409, 'Applicant already exists',
   'An applicant with this external_ref already exists; pass detail.applicant_id as applicant_id instead of the applicant''s fields.'),
  ('append_only', 409, 'Record is append-only',
   'The row belongs to an append-only record (audit trail, decisions, business rows) and cannot be updated or deleted.'),
  ('unauthenticated', 401, 'Not authenticated',
   'No valid credentials: the API key is missing, unknown, expired or revoked, its actor is deactivated, or the PostgreSQL login role is not mapped to an actor.'),
  ('forbidden', 403, 'Operation not permitted',
   'The acting actor''s role does not include the operation; detail names the operation, the role and the roles that may.'),
  ('actor_mismatch', 403, 'Actor mismatch',
   'A direct SQL caller named an actor other than the one its PostgreSQL login role is mapped to.'),
  ('actor_exists', 409, 'Actor already exists',
   'An actor with this name exists already; pick another name or update that actor.'),
  ('operator_protected', 403, 'Operator is protected',
   'The built-in operator actor, which the lendgres CLI acts as, can be changed or deactivated only by a PostgreSQL superuser.'),
  ('admin_self_demotion', 409, 'Admin cannot demote itself',
   'An actor cannot take itself out of admin, by a new role or by deactivation; another admin must do it.'),
  ('last_admin', 409, 'Last admin',
   'The actor is the last active admin (apart from the operator) and cannot leave admin; make another actor admin first.');
