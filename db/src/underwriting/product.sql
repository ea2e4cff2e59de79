-- Loan products and their policy. A product is a code and a current version; every change makes a new version,
-- and versions never change (an assessment and an offer name the version they were made under, so a product change
-- never alters either). The terms of a version, its rate by risk grade and its policy rules are rows: the policy is
-- data that lending.assess_application evaluates, not code.

-- Risk grades, best first: an assessment's score falls into the first grade whose min_score it reaches.
create table lending_private.risk_grade (
  grade text primary key constraint risk_grade_is_a_letter check (grade ~ '^[A-Z]$'),
  min_score smallint not null unique,
  description text not null
);
comment on table lending_private.risk_grade is 'Risk grades A (best) to E, by the lowest score that reaches each.';

insert into lending_private.risk_grade (grade, min_score, description) values
  ('A', 740, 'Excellent'), ('B', 690, 'Good'), ('C', 640, 'Fair'), ('D', 590, 'Weak'), ('E', 300, 'Poor');

-- The measures a policy rule can compare, and the application facts each needs (lending_private.evaluate_policy
-- computes them; lending_private.missing_facts lists what an application lacks).
create table lending_private.policy_measure (
  measure text primary key constraint policy_measure_is_snake_case check (measure ~ '^[a-z][a-z_]*$'),
  needs_facts text[] not null,
  description text not null
);
comment on table lending_private.policy_measure is 'What a policy rule can measure, and the facts that takes.';

insert into lending_private.policy_measure (measure, needs_facts, description) values
  ('credit_score', '{credit_score}', 'The applicant''s credit score, 300-850.'),
  ('debt_to_income', '{annual_income,monthly_debt_payments,term_months,credit_score}',
   'Monthly debt payments plus the new loan''s installment, over monthly income (a ratio: 0.43 is 43%).'),
  ('loan_to_income', '{annual_income}', 'The amount asked for over annual income (a ratio).'),
  ('months_employed', '{months_employed}', 'Months in the current employment.'),
  ('unverified_amount', '{income_verified}',
   'The amount asked for when income is not verified, else 0: a rule "at most X" lets unverified income back at most X.'),
  ('identity_verified', '{identity_verified}', '1 when the applicant''s identity is verified, else 0.');

create table lending_private.product (
  product_id bigint generated always as identity primary key,
  product_code text not null
    constraint product_code_is_unique unique
    constraint product_code_is_valid check (product_code ~ '^[a-z][a-z0-9_]{1,49}$'),
  current_version integer not null default 1 constraint product_current_version_is_positive check (current_version >= 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table lending_private.product is 'Loan products by code; current_version names the terms in force.';
comment on column lending_private.product.current_version is
  'The version new assessments use; lending.update_product moves it on by one, expected_version checks it.';

create table lending_private.product_version (
  product_id bigint not null references lending_private.product,
  version integer not null constraint product_version_is_positive check (version >= 1),
  name text not null constraint product_name_is_valid check (lending_private.text_error(name, 200) is null),
  currency text,
  min_amount numeric not null,
  max_amount numeric not null,
  min_term_months integer not null,
  max_term_months integer not null,
  amortization text not null constraint product_amortization_is_known check (amortization in ('annuity', 'equal_principal')),
  repayment_frequency text not null default 'monthly' constraint product_repays_monthly check (repayment_frequency = 'monthly'),
  origination_fee_percent numeric not null default 0,
  origination_fee_cap numeric,
  late_fee_flat numeric not null default 0,
  late_fee_percent numeric not null default 0,
  grace_days integer not null,
  write_off_days integer not null,
  offer_valid_days integer not null,
  agent_approval_limit numeric not null,
  requires_assessment boolean not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  primary key (product_id, version)
);
comment on table lending_private.product_version is
  'The terms of each version of a product; never changed: a change is a new version.';
comment on column lending_private.product_version.currency is
  'The currency it lends in; null lends in the application''s currency (the default product, which every '
  'application filed before products existed uses).';
comment on column lending_private.product_version.origination_fee_percent is
  'Fee taken from the principal at disbursement, in percent of it, at most origination_fee_cap.';
comment on column lending_private.product_version.late_fee_flat is
  'A late installment''s fee is the larger of late_fee_flat and late_fee_percent of the installment (servicing).';
comment on column lending_private.product_version.grace_days is 'Days after a due date before a payment is late.';
comment on column lending_private.product_version.write_off_days is 'Days past due at which a loan is written off.';
comment on column lending_private.product_version.agent_approval_limit is
  'Approvals of larger amounts need a second person (four-eyes): the application waits in pending_confirmation.';

create table lending_private.product_rate (
  product_id bigint not null,
  version integer not null,
  risk_grade text not null references lending_private.risk_grade,
  annual_rate numeric not null constraint product_rate_is_a_percent check (annual_rate >= 0 and annual_rate <= 100
                                                                          and scale(annual_rate) <= 4),
  primary key (product_id, version, risk_grade),
  foreign key (product_id, version) references lending_private.product_version
);
comment on table lending_private.product_rate is 'A product version''s nominal annual interest rate, in percent, by risk grade.';

create table lending_private.policy_rule (
  product_id bigint not null,
  version integer not null,
  position smallint not null constraint policy_rule_position_is_positive check (position >= 1),
  measure text not null references lending_private.policy_measure,
  comparison text not null constraint policy_rule_comparison_is_known check (comparison in ('>=', '<=')),
  threshold numeric not null,
  reason_code text not null references lending_private.adverse_reason,
  on_failure text not null constraint policy_rule_failure_is_known check (on_failure in ('reject', 'refer')),
  primary key (product_id, version, position),
  foreign key (product_id, version) references lending_private.product_version,
  constraint policy_rule_reason_is_specific check (reason_code <> 'other')
);
comment on table lending_private.policy_rule is
  'A product version''s policy: each rule passes when `measure comparison threshold` holds; a failure yields its '
  'reason code and either rejects or refers the application to a person. position orders rules by importance.';

create trigger _100_refuse_delete before delete on lending_private.product
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.product
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert or update on lending_private.product
  for each row execute function lending_private.record_audit('product', 'product_id', 'product_id');

create trigger _100_refuse_change before update or delete on lending_private.product_version
  for each row execute function lending_private.refuse_change();
create trigger _140_check_currency before insert on lending_private.product_version
  for each row when (new.currency is not null) execute function lending_private.check_currency();
-- The terms follow the rules lending.create_product words, for direct SQL too (lending_private.product_errors).
create trigger _150_check_terms before insert on lending_private.product_version
  for each row execute function lending_private.check_product_terms();
create trigger _100_refuse_truncate before truncate on lending_private.product_version
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.product_version
  for each row execute function lending_private.record_audit('product', 'product_id', 'version',
                                                             'min_amount', 'max_amount', 'origination_fee_cap',
                                                             'late_fee_flat', 'agent_approval_limit');
create trigger _100_refuse_change before update or delete on lending_private.product_rate
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.product_rate
  for each statement execute function lending_private.refuse_change();
create trigger _100_refuse_change before update or delete on lending_private.policy_rule
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.policy_rule
  for each statement execute function lending_private.refuse_change();
-- A version's rates and rules join its chain: its audit row is followed by one per rate and rule.
create trigger _900_audit after insert on lending_private.product_rate
  for each row execute function lending_private.record_audit('product', 'product_id', 'version');
create trigger _900_audit after insert on lending_private.policy_rule
  for each row execute function lending_private.record_audit('product', 'product_id', 'version');

-- The default product: every application without a product uses it, and it requires no assessment, so that the
-- tutorial's flow (file, then approve or reject with a reason) keeps working and is recorded as not assessed. It
-- lends in any currency, any amount and term an application may ask for, at one rate whatever the grade.
insert into lending_private.product (product_code) values ('standard');
insert into lending_private.product_version (
  product_id, version, name, currency, min_amount, max_amount, min_term_months, max_term_months, amortization,
  origination_fee_percent, origination_fee_cap, late_fee_flat, late_fee_percent, grace_days, write_off_days,
  offer_valid_days, agent_approval_limit, requires_assessment, created_by)
select p.product_id, 1, 'Standard loan', null, 0.01, 10000000, 1, 480, 'annuity', 0, null, 0, 0, 5, 180, 30,
       10000000, false, 'operator'
  from lending_private.product as p where p.product_code = 'standard';
insert into lending_private.product_rate (product_id, version, risk_grade, annual_rate)
select p.product_id, 1, g.grade, 9.99
  from lending_private.product as p cross join lending_private.risk_grade as g where p.product_code = 'standard';
