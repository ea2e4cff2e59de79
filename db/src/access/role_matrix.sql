-- Who may do what, as data. Operations are the verbs of the API; a role is a set of them. An operation that no
-- role lists is refused to everyone, admin included, so the change that adds an operation also grants it here.
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
  ('read_products', 'Read loan products, their versions, policy rules and the reason codes.'),
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
    ('reader', array['read_applications', 'read_loans', 'read_audit', 'read_events', 'read_products']),
    ('intake', array['read_applications', 'read_loans', 'read_audit', 'read_events', 'read_products',
                     'apply', 'update_application', 'withdraw', 'accept_offer', 'decline_offer']),
    ('underwriter', array['read_applications', 'read_loans', 'read_audit', 'read_events', 'read_products',
                          'apply', 'update_application', 'withdraw', 'accept_offer', 'decline_offer',
                          'assess', 'decide']),
    ('reviewer', array['read_applications', 'read_loans', 'read_audit', 'read_events', 'read_products',
                       'apply', 'update_application', 'withdraw', 'accept_offer', 'decline_offer',
                       'assess', 'decide', 'claim_review', 'confirm_decision', 'write_off']),
    ('servicer', array['read_applications', 'read_loans', 'read_audit', 'read_events', 'read_products',
                       'disburse', 'record_payment', 'reverse_payment', 'restructure', 'waive_fee', 'refund_credit',
                       'run_end_of_day'])) as r(role, operations)
  cross join lateral unnest(r.operations) as o(operation)
union all
select 'admin', o.operation from lending_private.operation as o;
