-- migrate:up

-- The HTTP service's group role. It authenticates API keys itself, so it is the one caller whose `actor` argument
-- the functions believe. Everyone else calling the SQL API directly acts as the actor its login role is mapped to.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'lending_gateway') then
    create role lending_gateway nologin;
  end if;
end
$$;
grant lending_api to lending_gateway;

set local role lending_owner;

insert into lending_private.error_code (code, http_status, title, description) values
  ('unauthenticated', 401, 'Not authenticated',
   'No valid credentials: the API key is missing, unknown, expired or revoked, its actor is deactivated, or the PostgreSQL login role is not mapped to an actor.'),
  ('forbidden', 403, 'Operation not permitted',
   'The acting actor''s role does not include the operation; detail names the operation, the role and the roles that may.'),
  ('actor_mismatch', 403, 'Actor mismatch',
   'A direct SQL caller named an actor other than the one its PostgreSQL login role is mapped to.'),
  ('actor_exists', 409, 'Actor already exists',
   'An actor with this name exists already; pick another name or update that actor.');

-- Who may do what, as data. Operations are the verbs of the API; a role is a set of them. An operation that no
-- role lists is refused to everyone, admin included, so a later migration adds its operation and grants it here.
create table lending_private.operation (
  operation text primary key constraint operation_is_snake_case check (operation ~ '^[a-z][a-z_]*$'),
  description text not null
);
comment on table lending_private.operation is 'The operations that permissions name; each public function checks one.';

create table lending_private.actor_role (
  role text primary key constraint actor_role_is_snake_case check (role ~ '^[a-z][a-z_]*$'),
  description text not null
);
comment on table lending_private.actor_role is 'The roles an actor can hold.';

create table lending_private.role_operation (
  role text not null references lending_private.actor_role,
  operation text not null references lending_private.operation,
  primary key (role, operation)
);
comment on table lending_private.role_operation is 'The permission matrix: a role may perform the operations listed for it.';

insert into lending_private.operation (operation, description) values
  ('read_applications', 'Read applications, their applicants and decisions.'),
  ('read_loans', 'Read loans, their schedules and payments.'),
  ('read_audit', 'Read audit trails.'),
  ('read_events', 'Read the events feed.'),
  ('apply', 'File a loan application.'),
  ('update_application', 'Change the facts of an application.'),
  ('withdraw', 'Withdraw an application at the applicant''s request.'),
  ('accept_offer', 'Accept an offer on the borrower''s behalf.'),
  ('decline_offer', 'Decline an offer on the borrower''s behalf.'),
  ('assess', 'Score and assess an application.'),
  ('decide', 'Record an underwriting decision.'),
  ('claim_review', 'Claim an application waiting for review.'),
  ('confirm_decision', 'Confirm or decline a decision that needs a second person.'),
  ('write_off', 'Write a loan off.'),
  ('disburse', 'Disburse a loan.'),
  ('record_payment', 'Record a payment.'),
  ('reverse_payment', 'Reverse a payment.'),
  ('restructure', 'Restructure a loan.'),
  ('waive_fee', 'Waive a fee.'),
  ('refund_credit', 'Refund a credit balance.'),
  ('run_end_of_day', 'Run the end-of-day batch.'),
  ('manage_products', 'Create and change loan products.'),
  ('manage_actors', 'Create, change and deactivate actors.'),
  ('manage_keys', 'Create, list and revoke API keys.');

insert into lending_private.actor_role (role, description) values
  ('reader', 'Reads applications, loans, audit trails and events.'),
  ('intake', 'A reader that also files, updates and withdraws applications and answers offers for the borrower.'),
  ('underwriter', 'Intake, plus assessing and deciding applications.'),
  ('reviewer', 'An underwriter that also claims reviews, confirms or declines second-person decisions and writes off.'),
  ('servicer', 'A reader that also disburses, takes and reverses payments, restructures, waives fees, refunds and runs end-of-day.'),
  ('admin', 'Everything, plus products, actors and keys.');

insert into lending_private.role_operation (role, operation)
select r.role, o.operation
  from (values
    ('reader', array['read_applications', 'read_loans', 'read_audit', 'read_events']),
    ('intake', array['read_applications', 'read_loans', 'read_audit', 'read_events',
                     'apply', 'update_application', 'withdraw', 'accept_offer', 'decline_offer']),
    ('underwriter', array['read_applications', 'read_loans', 'read_audit', 'read_events',
                          'apply', 'update_application', 'withdraw', 'accept_offer', 'decline_offer',
                          'assess', 'decide']),
    ('reviewer', array['read_applications', 'read_loans', 'read_audit', 'read_events',
                       'apply', 'update_application', 'withdraw', 'accept_offer', 'decline_offer',
                       'assess', 'decide', 'claim_review', 'confirm_decision', 'write_off']),
    ('servicer', array['read_applications', 'read_loans', 'read_audit', 'read_events',
                       'disburse', 'record_payment', 'reverse_payment', 'restructure', 'waive_fee', 'refund_credit',
                       'run_end_of_day'])) as r(role, operations)
  cross join lateral unnest(r.operations) as o(operation)
union all
select 'admin', o.operation from lending_private.operation as o;

-- Actors: the agents, people and services that act through Lendgres. Audit rows and events name them.
create function lending_private.actor_name_error(name text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when name is null then 'is required'
    when name !~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'
      then 'must be 1-100 letters, digits and . _ @ -, starting with a letter or digit'
  end;
end;
$$;
comment on function lending_private.actor_name_error(text) is 'What is wrong with an actor''s name, or null.';

create function lending_private.actor_role_error(role text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when role is null then 'is required'
    when not exists (select from lending_private.actor_role as r where r.role = actor_role_error.role)
      then format('must be one of %s', (select string_agg(r.role, ', ' order by r.role)
                                          from lending_private.actor_role as r))
  end;
end;
$$;
comment on function lending_private.actor_role_error(text) is 'What is wrong with an actor''s role, or null.';

create table lending_private.actor (
  actor_id bigint generated always as identity primary key,
  name text not null unique constraint actor_name_is_valid check (lending_private.actor_name_error(name) is null),
  kind text not null constraint actor_kind_is_known check (kind in ('agent', 'human', 'service')),
  role text not null references lending_private.actor_role,
  db_role text unique,
  active boolean not null default true,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table lending_private.actor is 'Who acts: an agent, a human or a service, with one role.';
comment on column lending_private.actor.db_role is
  'The PostgreSQL login role a service calls the SQL API as; its calls act as this actor and no other.';
comment on column lending_private.actor.active is 'A deactivated actor can do nothing, whatever key or login it uses.';

create trigger _100_refuse_delete before delete on lending_private.actor
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.actor
  for each statement execute function lending_private.refuse_change();
create trigger _200_bump_version before update on lending_private.actor
  for each row execute function lending_private.bump_version();

-- API keys. The secret is shown once, when the key is made, and only its sha256 is kept: a key is 366 random bits,
-- so a fast hash is enough (nothing to guess from), and lookup by hash needs no per-key salt.
create table lending_private.api_key (
  key_id bigint generated always as identity primary key,
  actor_id bigint not null references lending_private.actor,
  key_hash bytea not null unique,
  prefix text not null,
  label text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  version integer not null default 1,
  updated_at timestamptz not null default now(),
  constraint api_key_expires_after_creation check (expires_at > created_at)
);
create index api_key_actor on lending_private.api_key (actor_id);
comment on table lending_private.api_key is 'API keys, stored as sha256 hashes; each belongs to one actor.';
comment on column lending_private.api_key.prefix is 'The first characters of the key, to recognise it in lists.';

create trigger _100_refuse_delete before delete on lending_private.api_key
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.api_key
  for each statement execute function lending_private.refuse_change();
create trigger _200_bump_version before update on lending_private.api_key
  for each row execute function lending_private.bump_version();

-- HTTP workers cache resolved keys briefly. Whenever a key is revoked or its expiry moved, by whatever path, its
-- hash is NOTIFYed on lending_keys at commit, so that they forget it at once.
create function lending_private.notify_key_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_notify('lending_keys', encode(new.key_hash, 'hex'));
  return null;
end;
$$;
comment on function lending_private.notify_key_change() is
  'Trigger: tells the HTTP workers (channel lending_keys) to forget a key whose revocation or expiry changed.';

create trigger _800_notify after update of revoked_at, expires_at on lending_private.api_key
  for each row when (old.revoked_at is distinct from new.revoked_at or old.expires_at is distinct from new.expires_at)
  execute function lending_private.notify_key_change();

-- Actors and their keys are audited like applications, one chain per actor.
alter table lending_private.audit_log drop constraint audit_log_subject_is_known;
alter table lending_private.audit_log add constraint audit_log_subject_is_known
  check (subject in ('application', 'party', 'actor'));
comment on column lending_private.audit_log.subject is
  'Which kind of chain the row belongs to: application, party or actor.';
comment on column lending_private.audit_log.subject_id is 'The application_id, party_id or actor_id that owns the chain.';

create trigger _900_audit after insert or update on lending_private.actor
  for each row execute function lending_private.record_audit('actor', 'actor_id', 'actor_id');
create trigger _900_audit after insert or update on lending_private.api_key
  for each row execute function lending_private.record_audit('actor', 'actor_id', 'key_id');

-- Operators (superusers and members of lending_owner, e.g. the `lendgres` CLI) act as this actor unless they name
-- another.
insert into lending_private.actor (name, kind, role) values ('operator', 'service', 'admin');

-- Who is acting ------------------------------------------------------------------------------------------------

-- Every public function starts here. identify() finds the acting actor and hands it and the request id to the
-- audit triggers as transaction-local settings; authorize() also checks that the actor's role may perform the
-- function's operation. The HTTP service (a member of lending_gateway) and operators name the actor; any other
-- caller acts as the actor mapped to its login role, so it cannot pass for someone else.
--
-- authorize() runs on every call, so it costs one query: the actor, its role and the permission together. The
-- helpers below are plain expressions to PL/pgSQL (no query of their own) when the HTTP service calls.
create function lending_private.acting_actor_name(actor text, request_id text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text;
begin
  if char_length(actor) > 200 or char_length(request_id) > 200 or btrim(request_id) = '' then
    perform lending_private.fail_if_invalid(array[
      lending_private.field_error('actor', lending_private.text_error(actor, 200)),
      lending_private.field_error('request_id', lending_private.text_error(request_id, 200))]);
  end if;
  if pg_has_role(session_user, 'lending_owner', 'MEMBER') then  -- superusers included
    return coalesce(actor, 'operator');
  end if;
  if pg_has_role(session_user, 'lending_gateway', 'MEMBER') then
    if actor is null then
      perform lending_private.fail('unauthenticated', 'The HTTP service must name the acting actor',
                                   jsonb_build_object('db_role', session_user));
    end if;
    return actor;
  end if;
  select a.name into v_name from lending_private.actor as a where a.db_role = session_user;
  if v_name is null then
    perform lending_private.fail(
      'unauthenticated',
      format('PostgreSQL role %s is not mapped to an actor: an admin maps it with '
             '`lendgres actors create --name ... --kind service --role ... --db-role %s`', session_user, session_user),
      jsonb_build_object('db_role', session_user));
  end if;
  if actor is not null and actor <> v_name then
    perform lending_private.fail(
      'actor_mismatch',
      format('PostgreSQL role %s acts as %s and cannot act as %s', session_user, v_name, actor),
      jsonb_build_object('db_role', session_user, 'actor', v_name, 'requested_actor', actor));
  end if;
  return v_name;
end;
$$;
comment on function lending_private.acting_actor_name(text, text) is
  'Which actor a call acts for: the one the HTTP service or an operator names, else the one the login is mapped to.';

create function lending_private.act_as(actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_request_id text := set_config('lending.request_id', coalesce(request_id, ''), true);
begin
  return set_config('lending.actor', actor, true);
end;
$$;
comment on function lending_private.act_as(text, text) is
  'Hands the acting actor and the request id to the audit triggers and events, for this transaction only. '
  'Returns the actor, so that callers use it as an expression (an assignment) rather than a PERFORM.';

create function lending_private.identify(actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
begin
  select a.role, a.active into v_role, v_active from lending_private.actor as a where a.name = v_name;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;
comment on function lending_private.identify(text, text) is
  'Finds the acting actor and hands it and the request id to the audit triggers. Returns the actor''s role.';

create function lending_private.authorize(operation text, actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
  v_permitted boolean;
begin
  select a.role, a.active, exists (select from lending_private.role_operation as p
                                    where p.role = a.role and p.operation = authorize.operation)
    into v_role, v_active, v_permitted
    from lending_private.actor as a where a.name = v_name;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  if not v_permitted then
    perform lending_private.fail(
      'forbidden',
      format('Actor %s (role %s) may not %s', v_name, v_role, operation),
      jsonb_build_object('actor', v_name, 'role', v_role, 'operation', operation,
                         'allowed_roles', (select coalesce(to_jsonb(array_agg(p.role order by p.role)), '[]')
                                             from lending_private.role_operation as p
                                            where p.operation = authorize.operation)));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;
comment on function lending_private.authorize(text, text, text) is
  'identify(), and refuses with forbidden unless the actor''s role may perform the operation. Returns the role.';

create function lending_private.actor_json(a lending_private.actor)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'actor_id', a.actor_id, 'name', a.name, 'kind', a.kind, 'role', a.role, 'db_role', a.db_role,
    'active', a.active, 'version', a.version,
    'created_at', lending_private.json_time(a.created_at), 'updated_at', lending_private.json_time(a.updated_at));
end;
$$;

create function lending_private.api_key_json(k lending_private.api_key)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'key_id', k.key_id,
    'actor', (select a.name from lending_private.actor as a where a.actor_id = k.actor_id),
    'prefix', k.prefix, 'label', k.label,
    'created_at', lending_private.json_time(k.created_at),
    'expires_at', lending_private.json_time(k.expires_at),
    'revoked_at', lending_private.json_time(k.revoked_at),
    'state', case when k.revoked_at is not null then 'revoked' when k.expires_at <= now() then 'expired'
                  else 'active' end);
end;
$$;

create function lending_private.find_actor(name text)
returns lending_private.actor
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor lending_private.actor;
begin
  select * into v_actor from lending_private.actor as a where a.name = find_actor.name;
  if not found then
    perform lending_private.fail('not_found', format('Actor %s does not exist', name),
                                 jsonb_build_object('resource', 'actor', 'name', name));
  end if;
  return v_actor;
end;
$$;

-- The public API of identities ----------------------------------------------------------------------------------

create function lending.authenticate(api_key text)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_result jsonb;
begin
  select jsonb_build_object('actor', a.name, 'kind', a.kind, 'role', a.role, 'key_id', k.key_id,
                            'expires_at', lending_private.json_time(k.expires_at))
    into v_result
    from lending_private.api_key as k
    join lending_private.actor as a on a.actor_id = k.actor_id
   where k.key_hash = sha256(convert_to(api_key, 'UTF8'))
     and k.revoked_at is null and k.expires_at > now() and a.active;
  if v_result is null then
    perform lending_private.fail('unauthenticated', 'The API key is unknown, expired or revoked, or its actor is deactivated');
  end if;
  return v_result;
end;
$$;
comment on function lending.authenticate(text) is
$$Resolves an API key to the actor it belongs to; for the HTTP service only.

The key is hashed and looked up; it must be neither expired nor revoked, and its actor active. Only members of
lending_gateway may call this: the HTTP service passes the resolved actor to every other function.
Returns: {actor, kind, role, key_id, expires_at}.
Errors: unauthenticated.$$;

create function lending.whoami(actor text default null, request_id text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.identify(actor, request_id);
begin
  return (select lending_private.actor_json(a) - 'db_role'
                 || jsonb_build_object('operations', (select coalesce(jsonb_agg(p.operation order by p.operation), '[]')
                                                        from lending_private.role_operation as p
                                                       where p.role = v_role))
            from lending_private.actor as a where a.name = lending_private.current_actor());
end;
$$;
comment on function lending.whoami(text, text) is
$$Tells who the caller acts as and what its role may do.

Any active actor may ask. operations lists every operation its role permits.
Returns: {actor_id, name, kind, role, active, version, created_at, updated_at, operations: [...]}.
Errors: validation_failed, unauthenticated, actor_mismatch.$$;

create function lending.create_actor(
  name text,
  kind text,
  role text,
  db_role text default null,
  actor text default null,
  request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor lending_private.actor;
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('name', lending_private.actor_name_error(name)),
    lending_private.field_error('kind', case when kind is null or kind not in ('agent', 'human', 'service')
                                             then 'must be one of agent, human, service' end),
    lending_private.field_error('role', lending_private.actor_role_error(role)),
    lending_private.field_error('db_role', case
      when db_role is null then null
      when not exists (select from pg_catalog.pg_roles as r where r.rolname = create_actor.db_role)
        then 'must be an existing PostgreSQL login role'
      when not pg_has_role(db_role, 'lending_api', 'MEMBER') then 'must be a role granted lending_api'
      when pg_has_role(db_role, 'lending_gateway', 'MEMBER') or pg_has_role(db_role, 'lending_owner', 'MEMBER')
        then 'must not be the HTTP service''s or an operator''s role: those name their actor'
      when exists (select from lending_private.actor as a where a.db_role = create_actor.db_role)
        then 'is already mapped to another actor' end)]);
  if exists (select from lending_private.actor as a where a.name = create_actor.name) then
    perform lending_private.fail('actor_exists', format('Actor %s already exists', name),
                                 jsonb_build_object('name', name));
  end if;
  insert into lending_private.actor (name, kind, role, db_role)
  values (name, kind, role, db_role)
  returning * into v_actor;
  return jsonb_build_object('status', 201, 'body', lending_private.actor_json(v_actor), 'replayed', false);
end;
$$;
comment on function lending.create_actor(text, text, text, text, text, text) is
$$Creates an actor: an agent, a human or a service, with one role.

name is 1-100 letters, digits and . _ @ -; kind is agent, human or service; role is reader, intake, underwriter,
reviewer, servicer or admin. db_role maps a PostgreSQL login role (granted lending_api) to the actor, so that a
service calling the SQL API as that role acts as this actor.
Returns: {status: 201, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, actor_exists.$$;

create function lending.update_actor(
  name text,
  role text default null,
  active boolean default null,
  actor text default null,
  request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor lending_private.actor;
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('role', case when role is not null then lending_private.actor_role_error(role) end)]);
  v_actor := lending_private.find_actor(name);
  update lending_private.actor as a
     set role = coalesce(update_actor.role, a.role), active = coalesce(update_actor.active, a.active)
   where a.actor_id = v_actor.actor_id
  returning * into v_actor;
  return jsonb_build_object('status', 200, 'body', lending_private.actor_json(v_actor), 'replayed', false);
end;
$$;
comment on function lending.update_actor(text, text, boolean, text, text) is
$$Changes an actor's role, or deactivates (active false) or reactivates it.

A deactivated actor can do nothing from its next call on, whatever key or login it uses.
Returns: {status: 200, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;

create function lending.list_actors(actor text default null, request_id text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  return jsonb_build_object('items', (select coalesce(jsonb_agg(lending_private.actor_json(a) order by a.name), '[]')
                                        from lending_private.actor as a));
end;
$$;
comment on function lending.list_actors(text, text) is
$$Lists every actor, by name.

Returns: {items: [actor]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;

create function lending.create_api_key(
  for_actor text,
  expires_in_days integer default 90,
  label text default null,
  actor text default null,
  request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_owner lending_private.actor;
  v_secret text;
  v_key lending_private.api_key;
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('for_actor', lending_private.actor_name_error(for_actor)),
    lending_private.field_error('expires_in_days', case when expires_in_days is null
                                                          or expires_in_days not between 1 and 3650
                                                        then 'must be between 1 and 3650' end),
    lending_private.field_error('label', lending_private.text_error(label, 100))]);
  v_owner := lending_private.find_actor(for_actor);
  -- Three version-4 UUIDs from the server's strong random source: 366 random bits in 48 bytes.
  v_secret := 'lgk_' || translate(encode(decode(
                replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                'hex'), 'base64'), '+/', '-_');
  insert into lending_private.api_key (actor_id, key_hash, prefix, label, expires_at)
  values (v_owner.actor_id, sha256(convert_to(v_secret, 'UTF8')), left(v_secret, 12), label,
          now() + make_interval(days => expires_in_days))
  returning * into v_key;
  return jsonb_build_object('status', 201,
                            'body', lending_private.api_key_json(v_key) || jsonb_build_object('api_key', v_secret),
                            'replayed', false);
end;
$$;
comment on function lending.create_api_key(text, integer, text, text, text) is
$$Makes an API key for an actor and shows its secret, once.

for_actor names the key's actor; the key acts with that actor's role. expires_in_days is 1-3650 (default 90);
label (at most 100 characters) says what the key is for. Only the key's sha256 is stored: keep api_key now, it
cannot be shown again. Send it as `Authorization: Bearer <api_key>`.
Returns: {status: 201, body: {key_id, actor, prefix, label, created_at, expires_at, revoked_at, state, api_key}, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;

create function lending.revoke_api_key(key_id bigint, actor text default null, request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key lending_private.api_key;
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  update lending_private.api_key as k set revoked_at = coalesce(k.revoked_at, now())
   where k.key_id = revoke_api_key.key_id
  returning * into v_key;
  if not found then
    perform lending_private.fail('not_found', format('API key %s does not exist', key_id),
                                 jsonb_build_object('resource', 'api_key', 'key_id', key_id));
  end if;
  return jsonb_build_object('status', 200, 'body', lending_private.api_key_json(v_key), 'replayed', false);
end;
$$;
comment on function lending.revoke_api_key(bigint, text, text) is
$$Revokes an API key for good.

Revoking a revoked key changes nothing. The HTTP service stops accepting the key as soon as the revocation
commits (it is told on channel lending_keys; at the latest after its cache period).
Returns: {status: 200, body: key (without secret), replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;

create function lending.list_api_keys(for_actor text default null, actor text default null, request_id text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  return jsonb_build_object('items', (
    select coalesce(jsonb_agg(lending_private.api_key_json(k) order by k.key_id), '[]')
      from lending_private.api_key as k
     where for_actor is null
        or k.actor_id = (select a.actor_id from lending_private.actor as a where a.name = list_api_keys.for_actor)));
end;
$$;
comment on function lending.list_api_keys(text, text, text) is
$$Lists API keys, all or one actor's, without their secrets.

Each key shows its prefix (its first characters), label, dates and state: active, expired or revoked.
Returns: {items: [{key_id, actor, prefix, label, created_at, expires_at, revoked_at, state}]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;

grant execute on function lending.authenticate(text) to lending_gateway;
grant execute on function
  lending.whoami(text, text),
  lending.create_actor(text, text, text, text, text, text),
  lending.update_actor(text, text, boolean, text, text),
  lending.list_actors(text, text),
  lending.create_api_key(text, integer, text, text, text),
  lending.revoke_api_key(bigint, text, text),
  lending.list_api_keys(text, text, text)
to lending_api;

reset role;

-- migrate:down
set local role lending_owner;
drop function lending.list_api_keys(text, text, text);
drop function lending.revoke_api_key(bigint, text, text);
drop function lending.create_api_key(text, integer, text, text, text);
drop function lending.list_actors(text, text);
drop function lending.update_actor(text, text, boolean, text, text);
drop function lending.create_actor(text, text, text, text, text, text);
drop function lending.whoami(text, text);
drop function lending.authenticate(text);
drop function lending_private.find_actor(text);
drop function lending_private.api_key_json(lending_private.api_key);
drop function lending_private.actor_json(lending_private.actor);
drop function lending_private.authorize(text, text, text);
drop function lending_private.identify(text, text);
drop function lending_private.act_as(text, text);
drop function lending_private.acting_actor_name(text, text);
alter table lending_private.audit_log disable trigger _100_refuse_change;
delete from lending_private.audit_log where subject = 'actor';
alter table lending_private.audit_log enable trigger _100_refuse_change;
delete from lending_private.audit_chain_head where subject = 'actor';
alter table lending_private.audit_log drop constraint audit_log_subject_is_known;
alter table lending_private.audit_log add constraint audit_log_subject_is_known
  check (subject in ('application', 'party'));
comment on column lending_private.audit_log.subject is 'Which kind of chain the row belongs to: application or party.';
comment on column lending_private.audit_log.subject_id is 'The application_id or party_id that owns the chain.';
drop table lending_private.api_key;
drop function lending_private.notify_key_change();
drop table lending_private.actor;
drop function lending_private.actor_role_error(text);
drop function lending_private.actor_name_error(text);
drop table lending_private.role_operation;
drop table lending_private.actor_role;
drop table lending_private.operation;
delete from lending_private.error_code
 where code in ('unauthenticated', 'forbidden', 'actor_mismatch', 'actor_exists');
reset role;
