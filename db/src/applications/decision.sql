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
  decided_at timestamptz not null default now(),
  -- What the decision relied on and who made it (decisions made before underwriting existed have nulls here).
  assessment_id bigint references lending_private.assessment,
  recommendation text,
  overrides_recommendation boolean not null default false,
  override_reason lending_private.reason,
  decided_by_kind text,
  model_name text,
  model_version text,
  confidence numeric,
  requires_confirmation boolean not null default false,
  constraint decision_override_has_reason check (not overrides_recommendation or override_reason is not null),
  constraint decision_confidence_is_a_probability check (confidence between 0 and 1)
);
create index decision_application on lending_private.decision (application_id, decision_id);
comment on table lending_private.decision is 'Underwriting decisions, append-only; the latest one is the current.';
comment on column lending_private.decision.decided_by is 'The actor who decided.';
comment on column lending_private.decision.assessment_id is 'The current assessment the decision relied on, if any.';
comment on column lending_private.decision.recommendation is 'That assessment''s recommendation: approve, reject or refer.';
comment on column lending_private.decision.overrides_recommendation is
  'The outcome differs from the recommendation (approve means approved, reject rejected, refer manual_review).';
comment on column lending_private.decision.decided_by_kind is 'The deciding actor''s kind: agent, human or service.';
comment on column lending_private.decision.model_name is 'For an agent: the model that decided, with model_version.';
comment on column lending_private.decision.confidence is 'For an agent: its confidence in the decision, in [0, 1].';
comment on column lending_private.decision.requires_confirmation is
  'An approval that waits for a second reviewer (four-eyes): above the product''s agent limit, or overriding a reject.';

create trigger _100_refuse_change before update or delete on lending_private.decision
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.decision
  for each statement execute function lending_private.refuse_change();
-- The reasons follow the controlled vocabulary, for direct SQL too (lending_private.decision_reasons_error).
create trigger _150_check_reasons before insert on lending_private.decision
  for each row execute function lending_private.check_decision_reasons();
create trigger _900_audit after insert on lending_private.decision
  for each row execute function lending_private.record_audit('application', 'application_id', 'decision_id');
