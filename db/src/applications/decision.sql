-- Underwriting decisions: append-only. lending.decide writes one and moves the application's status with it; the
-- latest decision is the current one.
create table lending_private.decision (
  decision_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  outcome lending_private.decision_outcome not null,
  reason lending_private.reason not null,
  reason_codes lending_private.reason_codes not null default '{}',
  decided_by text not null,
  request_id text,
  decided_at timestamptz not null default now()
);
create index decision_application on lending_private.decision (application_id, decision_id);
comment on table lending_private.decision is 'Underwriting decisions, append-only; the latest one is the current.';
comment on column lending_private.decision.decided_by is 'The actor who decided.';

create trigger _100_refuse_change before update or delete on lending_private.decision
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.decision
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.decision
  for each row execute function lending_private.record_audit('application', 'application_id', 'decision_id');
