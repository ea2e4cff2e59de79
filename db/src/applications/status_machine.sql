-- The status machine is data: the statuses, and the allowed (from, to) pairs. A status with no way out is final.
-- New features add rows here, not code; a trigger on the application (enforce_status_machine) refuses any other
-- change, whoever writes.
create table lending_private.application_status (
  status text primary key constraint application_status_is_snake_case check (status ~ '^[a-z][a-z_]*$'),
  is_initial boolean not null default false,
  description text not null
);
create unique index application_status_one_initial on lending_private.application_status (is_initial) where is_initial;
comment on table lending_private.application_status is 'Statuses an application can be in; exactly one is initial.';

create table lending_private.status_transition (
  from_status text not null references lending_private.application_status,
  to_status text not null references lending_private.application_status,
  primary key (from_status, to_status),
  constraint status_transition_changes_status check (from_status <> to_status)
);
comment on table lending_private.status_transition is
  'The allowed status changes of an application. The database refuses any other, whoever writes.';

insert into lending_private.application_status (status, is_initial, description) values
  ('pending', true, 'Filed and waiting for an underwriting decision.'),
  ('manual_review', false, 'Waiting for a person to review it.'),
  ('approved', false, 'Approved by underwriting; its offer waits for the borrower''s answer.'),
  ('rejected', false, 'Rejected by underwriting.'),
  ('withdrawn', false, 'Withdrawn by the applicant.'),
  ('pending_confirmation', false, 'Approved by one person, waiting for a second, different reviewer to confirm.'),
  ('offer_accepted', false, 'The borrower accepted the offer.'),
  ('offer_declined', false, 'The borrower declined the offer.'),
  ('offer_expired', false, 'The offer''s validity ended before the borrower accepted it.');

insert into lending_private.status_transition (from_status, to_status) values
  ('pending', 'approved'), ('pending', 'rejected'), ('pending', 'manual_review'), ('pending', 'withdrawn'),
  ('manual_review', 'approved'), ('manual_review', 'rejected'), ('manual_review', 'withdrawn'),
  ('pending', 'pending_confirmation'), ('manual_review', 'pending_confirmation'),
  ('pending_confirmation', 'approved'), ('pending_confirmation', 'manual_review'),
  ('pending_confirmation', 'withdrawn'),
  ('approved', 'offer_accepted'), ('approved', 'offer_declined'), ('approved', 'offer_expired');
