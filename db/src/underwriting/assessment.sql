-- Assessments: append-only. Each is what lending.assess_application found for an application's facts under one
-- product version: every rule with its measured value, threshold and result, a score and risk grade, the
-- recommendation with its reasons in order of importance, and the offer it would make. A decision relies on the
-- latest, and only while it is current (the application's facts still equal the ones it kept).
--
-- No foreign key to the product version: every assessment under one product would lock that one row (FOR KEY
-- SHARE), a hot spot across loans. Versions are never changed or deleted, so the reference cannot break.
create table lending_private.assessment (
  assessment_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  product_id bigint not null,
  product_version integer not null,
  facts jsonb not null,
  rules jsonb not null,
  missing_facts text[] not null,
  score smallint,
  risk_grade text,
  recommendation text not null constraint assessment_recommendation_is_known
    check (recommendation in ('approve', 'reject', 'refer')),
  reason_codes text[] not null,
  offer jsonb,
  assessed_by text not null,
  request_id text,
  assessed_at timestamptz not null default now()
);
create index assessment_application on lending_private.assessment (application_id, assessment_id);
comment on table lending_private.assessment is
  'Append-only assessments of applications under a product version; the latest of an application is the one that counts.';
comment on column lending_private.assessment.facts is 'The facts assessed (lending_private.application_facts).';
comment on column lending_private.assessment.rules is
  'Each rule evaluated, in order of importance: measure, comparison, threshold, value, result, reason_code, on_failure.';
comment on column lending_private.assessment.offer is
  'The offer an approval would fix: rate from the grade, installment, total interest, fee and APR; null when none can be made.';

create trigger _100_refuse_change before update or delete on lending_private.assessment
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.assessment
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.assessment
  for each row execute function lending_private.record_audit('application', 'application_id', 'assessment_id');
