-- Second-person confirmations (four-eyes): an approval that needs one leaves its application pending_confirmation
-- until a reviewer other than the decider confirms it (approved) or declines it (back to manual_review, with the
-- reason). One answer per decision: the unique key turns a second, concurrent answer into a refusal.
create table lending_private.confirmation (
  confirmation_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  decision_id bigint not null constraint confirmation_answers_once unique references lending_private.decision,
  confirmed boolean not null,
  reason lending_private.reason,
  confirmed_by text not null,
  request_id text,
  confirmed_at timestamptz not null default now(),
  constraint confirmation_decline_has_reason check (confirmed or reason is not null)
);
create index confirmation_application on lending_private.confirmation (application_id, confirmation_id);
comment on table lending_private.confirmation is
  'A second reviewer''s answer to a decision that required confirmation: confirmed, or declined with a reason.';

create trigger _100_refuse_change before update or delete on lending_private.confirmation
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.confirmation
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.confirmation
  for each row execute function lending_private.record_audit('application', 'application_id', 'confirmation_id');
