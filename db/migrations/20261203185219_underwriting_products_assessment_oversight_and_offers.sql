-- migrate:up
set local role lending_owner;

insert into lending_private.error_code (code, http_status, title, description)
values
  ('not_in_underwriting', 409, 'Not in underwriting',
   'The application is past underwriting: its facts can change, and it can be assessed, only while it is pending or in manual_review; detail.current_status says where it is.'),
  ('product_exists', 409, 'Product already exists',
   'A product with this code exists already; change it with update_product, which makes a new version.'),
  ('assessment_required', 409, 'Assessment required',
   'The application''s product requires an assessment before approval; run assess_application first.'),
  ('assessment_stale', 409, 'Assessment is stale',
   'The application''s facts changed after its latest assessment; run assess_application again before deciding.'),
  ('not_in_review', 409, 'Not in review',
   'Only an application in manual_review can be claimed for review; detail.current_status says where it is.'),
  ('review_claimed', 409, 'Claimed by another reviewer',
   'Another reviewer holds an unexpired claim on the application; detail names who and until when.'),
  ('review_claim_required', 409, 'Review claim required',
   'Deciding an application in manual_review needs an unexpired claim of your own on it; call claim_review first.'),
  ('own_decision', 403, 'Cannot confirm own decision',
   'A decision that needs a second person must be confirmed or declined by a reviewer other than the one who made it.'),
  ('offer_expired', 409, 'Offer expired',
   'The offer''s validity ended before it was accepted; the application is now offer_expired and cannot be accepted.'),
  ('no_adverse_action', 409, 'No adverse action',
   'Only a rejected application has an adverse action notice; detail.current_status says where it is.');

-- db/src/core/lending_private.money_error.sql
-- The rule of an amount of money other than a loan's principal (an income, a debt payment, a product's limits): a
-- finite number within [minimum, maximum], written with at most 2 decimal places.
create or replace function lending_private.money_error(value numeric, minimum numeric, maximum numeric)
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value = 'NaN' or value in ('Infinity', '-Infinity') then 'must be a finite number'
    when value < minimum then 'must be at least ' || minimum::text
    when value > maximum then 'must be at most ' || maximum::text
    when scale(value) > 2 then 'must have at most 2 decimal places'
  end;
end;
$$;
comment on function lending_private.money_error(numeric, numeric, numeric) is
  'What is wrong with an amount of money (finite, within [minimum, maximum], at most 2 decimals), or null.';

-- db/src/core/lending_private.number_error.sql
-- The rule of a number that is not money: a percentage, a ratio, a count of days. Finite, within [minimum, maximum],
-- with at most `decimals` decimal places as written.
create or replace function lending_private.number_error(value numeric, minimum numeric, maximum numeric,
                                                        decimals integer default 0)
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value = 'NaN' or value in ('Infinity', '-Infinity') then 'must be a finite number'
    when value < minimum or value > maximum then format('must be between %s and %s', minimum, maximum)
    when scale(value) > decimals then
      case decimals when 0 then 'must be a whole number' else format('must have at most %s decimal places', decimals) end
  end;
end;
$$;
comment on function lending_private.number_error(numeric, numeric, numeric, integer) is
  'What is wrong with a number (finite, within [minimum, maximum], at most `decimals` decimals), or null.';

-- db/src/core/lending_private.is_date.sql
-- Whether text written YYYY-MM-DD names a real day (2026-02-30 does not). PostgreSQL 16's pg_input_is_valid would
-- say it without a subtransaction; PostgreSQL 15, which Lendgres supports, lacks it. The input is fixed to ISO form
-- before the cast, so that DateStyle cannot change what it reads.
create or replace function lending_private.is_date(value text)
returns boolean
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $$
begin
  if value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    return false;
  end if;
  perform value::date;
  return true;
exception
  when datetime_field_overflow or invalid_datetime_format then
    return false;
end;
$$;
comment on function lending_private.is_date(text) is 'Whether YYYY-MM-DD text names a real day.';

-- db/src/core/lending_private.json_value_error.sql
-- A JSON document's field (a merge patch's, for instance) must have the JSON type its column takes before it can be
-- read as one: this says what is wrong with `value` as a `kind`, or null. A JSON null is always acceptable here:
-- whether a field may be empty is the caller's rule. Money follows the API's grammar: a JSON number, or a string of
-- ASCII digits with an optional point (no exponent, sign or spaces).
create or replace function lending_private.json_value_error(value jsonb, kind text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if value is null or jsonb_typeof(value) = 'null' then
    return null;
  end if;
  return case kind
    when 'text' then case when jsonb_typeof(value) <> 'string' then 'must be a string' end
    when 'boolean' then case when jsonb_typeof(value) <> 'boolean' then 'must be true or false' end
    when 'integer' then case when jsonb_typeof(value) <> 'number' or value::text !~ '^-?[0-9]{1,9}$'
                               then 'must be a whole number' end
    when 'number' then case
      when jsonb_typeof(value) = 'number' and value::text !~* 'e' then null
      when jsonb_typeof(value) = 'string' and value #>> '{}' ~ '^[0-9]{1,15}(\.[0-9]{1,15})?$' then null
      else 'must be ASCII digits with an optional point and no exponent, as a JSON number or a string' end
    when 'date' then case
      when jsonb_typeof(value) <> 'string' or value #>> '{}' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
        or not lending_private.is_date(value #>> '{}') then 'must be a date written YYYY-MM-DD' end
    when 'object' then case when jsonb_typeof(value) <> 'object' then 'must be an object' end
    when 'array' then case when jsonb_typeof(value) <> 'array' then 'must be an array' end
  end;
end;
$$;
comment on function lending_private.json_value_error(jsonb, text) is
  'What is wrong with a JSON value as a text, boolean, integer, number (money and rates), date, object or array, or null.';

-- db/src/core/lending_private.audit_row_error.sql
-- The audit log's one CHECK constraint (see audit_log.sql for why one). NULLs pass here and are refused by the
-- columns' NOT NULL.
create or replace function lending_private.audit_row_error(subject text, action text, seq integer, old_values jsonb)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    -- A new kind of chain (a new subject) is added here.
    when subject not in ('application', 'party', 'actor', 'product')
      then 'subject must be application, party, actor or product'
    when action not in ('insert', 'update') then 'action must be insert or update'
    when (action = 'update') <> (old_values is not null) then 'old_values are recorded for updates, and only for them'
    when seq < 1 then 'seq must be at least 1'
  end;
end;
$$;
comment on function lending_private.audit_row_error(text, text, integer, jsonb) is
  'What is wrong with an audit row''s subject, action, sequence number and old values, or null: the audit log''s '
  'CHECK constraint.';

comment on column lending_private.audit_log.subject is
  'Which kind of chain the row belongs to: application, party, actor or product.';
comment on column lending_private.audit_log.subject_id is 'The application_id, party_id, actor_id or product_id that owns the chain.';

-- Settings an operator may tune while Lendgres runs, as rows: read by the functions that need them, changed by an
-- UPDATE as the owner (audited by PostgreSQL's own log, not the business audit trail: they belong to no subject).
-- Few and rarely written, so one row per setting is no hot spot.
create table lending_private.setting (
  name text primary key constraint setting_name_is_snake_case check (name ~ '^[a-z][a-z0-9_]*$'),
  value text not null,
  description text not null
);
comment on table lending_private.setting is 'Tunable settings, one row each; lending_private.setting_value reads them.';

insert into lending_private.setting (name, value, description) values
  ('review_claim_seconds', '1800',
   'How long a reviewer''s claim on an application in manual_review lasts (lending.claim_review), in seconds.');

-- db/src/core/lending_private.setting_value.sql
create or replace function lending_private.setting_value(name text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_value text;
begin
  select s.value into strict v_value from lending_private.setting as s where s.name = setting_value.name;
  return v_value;
end;
$$;
comment on function lending_private.setting_value(text) is 'The value of a setting (lending_private.setting); raises if there is none.';

insert into lending_private.operation (operation, description) values
  ('read_products', 'Read loan products, their versions, policy rules and the reason codes.');
insert into lending_private.role_operation (role, operation)
select r.role, 'read_products' from lending_private.actor_role as r;

update lending_private.application_status
   set description = 'Approved by underwriting; its offer waits for the borrower''s answer.'
 where status = 'approved';
insert into lending_private.application_status (status, is_initial, description) values
  ('pending_confirmation', false, 'Approved by one person, waiting for a second, different reviewer to confirm.'),
  ('offer_accepted', false, 'The borrower accepted the offer.'),
  ('offer_declined', false, 'The borrower declined the offer.'),
  ('offer_expired', false, 'The offer''s validity ended before the borrower accepted it.');
insert into lending_private.status_transition (from_status, to_status) values
  ('pending', 'pending_confirmation'), ('manual_review', 'pending_confirmation'),
  ('pending_confirmation', 'approved'), ('pending_confirmation', 'manual_review'),
  ('pending_confirmation', 'withdrawn'),
  ('approved', 'offer_accepted'), ('approved', 'offer_declined'), ('approved', 'offer_expired');

-- The reasons a credit decision can give, as a controlled vocabulary: an adverse action notice must state the
-- specific principal reasons (Regulation B, 12 CFR 1002.9), and form C-1 of its appendix lists sample reasons in
-- plain words. Each code carries the words a notice shows; position orders the list as the form does. `other`
-- stands for a reason the list lacks: the decision's own reason is then the specific text the notice shows.
create table lending_private.adverse_reason (
  code text primary key constraint adverse_reason_code_is_snake_case check (code ~ '^[a-z][a-z0-9_]*$'),
  notice_text text not null,
  requires_text boolean not null default false,
  position smallint not null unique
);
comment on table lending_private.adverse_reason is
  'Reason codes for credit decisions, modelled on Regulation B form C-1, with the words a notice shows.';
comment on column lending_private.adverse_reason.requires_text is
  'The code needs the decision''s reason as its specific text (only `other`).';

insert into lending_private.adverse_reason (code, notice_text, requires_text, position) values
  ('credit_application_incomplete', 'Credit application incomplete', false, 1),
  ('insufficient_credit_references', 'Insufficient number of credit references provided', false, 2),
  ('unable_to_verify_credit_references', 'Unable to verify credit references', false, 3),
  ('temporary_or_irregular_employment', 'Temporary or irregular employment', false, 4),
  ('unable_to_verify_employment', 'Unable to verify employment', false, 5),
  ('length_of_employment', 'Length of employment', false, 6),
  ('too_short_residence', 'Too short a period of residence', false, 7),
  ('unable_to_verify_residence', 'Unable to verify residence', false, 8),
  ('no_credit_file', 'No credit file', false, 9),
  ('limited_credit_experience', 'Limited credit experience', false, 10),
  ('insufficient_credit_score', 'Credit score below the minimum for the credit requested', false, 11),
  ('delinquent_credit_obligations', 'Delinquent past or present credit obligations with others', false, 12),
  ('collection_action_or_judgment', 'Collection action or judgment', false, 13),
  ('bankruptcy', 'Bankruptcy', false, 14),
  ('excessive_obligations', 'Excessive obligations in relation to income', false, 15),
  ('insufficient_income', 'Income insufficient for amount of credit requested', false, 16),
  ('unable_to_verify_income', 'Unable to verify income', false, 17),
  ('unable_to_verify_identity', 'Unable to verify identity', false, 18),
  ('amount_exceeds_product_limit', 'Amount requested exceeds the limit of the loan product', false, 19),
  ('amount_below_product_minimum', 'Amount requested is below the minimum of the loan product', false, 20),
  ('term_outside_product_limits', 'Term requested is outside the limits of the loan product', false, 21),
  ('terms_not_offered', 'We do not grant credit to any applicant on the terms and conditions you request', false, 22),
  ('other', 'Other', true, 99);

-- db/src/underwriting/lending_private.product_errors.sql
-- The rules of a product's terms, over the product as a JSON document (lending_private.product_json's fields): what
-- lending.create_product and lending.update_product check before they write a version, every bad field at once.
-- Types first (a merge patch may carry anything), then values. rates and rules are checked when the document has
-- them: the version table's trigger checks a row, which holds neither (their tables have their own constraints).
create or replace function lending_private.product_errors(d jsonb)
returns jsonb[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_kinds constant jsonb := '{
    "name": "text", "currency": "text", "min_amount": "number", "max_amount": "number",
    "min_term_months": "integer", "max_term_months": "integer", "amortization": "text",
    "origination_fee_percent": "number", "origination_fee_cap": "number", "late_fee_flat": "number",
    "late_fee_percent": "number", "grace_days": "integer", "write_off_days": "integer",
    "offer_valid_days": "integer", "agent_approval_limit": "number", "requires_assessment": "boolean",
    "rates": "object", "rules": "array"}';
  v_errors jsonb[];
  v_rule jsonb;
  v_index integer := 0;
  v_grades text[] := array(select g.grade from lending_private.risk_grade as g order by g.grade);
  v_required constant text[] := array['name', 'min_amount', 'max_amount', 'min_term_months', 'max_term_months',
                                      'amortization', 'origination_fee_percent', 'late_fee_flat', 'late_fee_percent',
                                      'grace_days', 'write_off_days', 'offer_valid_days', 'agent_approval_limit',
                                      'requires_assessment'];
begin
  select array_agg(lending_private.field_error(k.key, coalesce(
           case when k.key = any (v_required) and coalesce(jsonb_typeof(d -> k.key), 'null') = 'null'
                then 'is required' end,
           lending_private.json_value_error(d -> k.key, k.kind))) order by k.key)
    into v_errors
    from jsonb_each_text(v_kinds) as k(key, kind);
  if num_nonnulls(variadic v_errors) > 0 then
    return v_errors;
  end if;

  v_errors := array[
    lending_private.field_error('name', lending_private.text_error(d ->> 'name', 200, true)),
    lending_private.field_error('currency', case when d ->> 'currency' is not null and not exists (
        select from lending_private.currency as c where c.code = d ->> 'currency')
      then lending_private.currency_error(d ->> 'currency') end),
    lending_private.field_error('min_amount', lending_private.money_error((d ->> 'min_amount')::numeric, 0.01, 10000000)),
    lending_private.field_error('max_amount', coalesce(
      lending_private.money_error((d ->> 'max_amount')::numeric, 0.01, 10000000),
      case when (d ->> 'max_amount')::numeric < (d ->> 'min_amount')::numeric then 'must be at least min_amount' end)),
    lending_private.field_error('min_term_months', lending_private.term_months_error((d ->> 'min_term_months')::integer)),
    lending_private.field_error('max_term_months', coalesce(
      lending_private.term_months_error((d ->> 'max_term_months')::integer),
      case when (d ->> 'max_term_months')::integer < (d ->> 'min_term_months')::integer
           then 'must be at least min_term_months' end)),
    lending_private.field_error('amortization', case when d ->> 'amortization' not in ('annuity', 'equal_principal')
                                                     then 'must be annuity or equal_principal' end),
    lending_private.field_error('origination_fee_percent',
      lending_private.number_error((d ->> 'origination_fee_percent')::numeric, 0, 50, 4)),
    lending_private.field_error('origination_fee_cap',
      lending_private.money_error((d ->> 'origination_fee_cap')::numeric, 0, 10000000)),
    lending_private.field_error('late_fee_flat', lending_private.money_error((d ->> 'late_fee_flat')::numeric, 0, 100000)),
    lending_private.field_error('late_fee_percent',
      lending_private.number_error((d ->> 'late_fee_percent')::numeric, 0, 100, 4)),
    lending_private.field_error('grace_days', lending_private.number_error((d ->> 'grace_days')::numeric, 0, 90)),
    lending_private.field_error('write_off_days',
      lending_private.number_error((d ->> 'write_off_days')::numeric, 30, 3650)),
    lending_private.field_error('offer_valid_days',
      lending_private.number_error((d ->> 'offer_valid_days')::numeric, 1, 365)),
    lending_private.field_error('agent_approval_limit',
      lending_private.money_error((d ->> 'agent_approval_limit')::numeric, 0, 10000000))];

  if d ? 'rates' then
    v_errors := v_errors || lending_private.field_error('rates', case
      when (select array_agg(k order by k) from jsonb_object_keys(d -> 'rates') as k) is distinct from v_grades
        then format('must give a rate for each risk grade, %s, and no other', array_to_string(v_grades, ', '))
      when exists (select from jsonb_each(d -> 'rates') as r
                    where lending_private.json_value_error(r.value, 'number') is not null or r.value = 'null')
        then 'each rate must be a percent written as a number, such as 7.99'
      else (select min(lending_private.number_error((r.value #>> '{}')::numeric, 0, 100, 4))
              from jsonb_each(d -> 'rates') as r) end);
  end if;

  if d ? 'rules' then
    if jsonb_array_length(d -> 'rules') > 50 then
      v_errors := v_errors || lending_private.field_error('rules', 'must hold at most 50 rules');
    end if;
    for v_rule in select r from jsonb_array_elements(d -> 'rules') as r loop
      v_errors := v_errors || case
        when jsonb_typeof(v_rule) <> 'object'
          or exists (select from jsonb_object_keys(v_rule) as k
                      where k not in ('measure', 'comparison', 'threshold', 'reason_code', 'on_failure'))
          then array[lending_private.field_error(format('rules[%s]', v_index),
                 'must be an object of measure, comparison, threshold, reason_code and on_failure')]
        else array[
          lending_private.field_error(format('rules[%s].measure', v_index), case
            when not exists (select from lending_private.policy_measure as m where m.measure = v_rule ->> 'measure')
              then format('must be one of %s', (select string_agg(m.measure, ', ' order by m.measure)
                                                  from lending_private.policy_measure as m)) end),
          lending_private.field_error(format('rules[%s].comparison', v_index),
            case when v_rule ->> 'comparison' is null or v_rule ->> 'comparison' not in ('>=', '<=')
                 then 'must be >= or <=' end),
          lending_private.field_error(format('rules[%s].threshold', v_index), case
            when v_rule -> 'threshold' is null or v_rule -> 'threshold' = 'null' then 'is required'
            else coalesce(lending_private.json_value_error(v_rule -> 'threshold', 'number'),
                          lending_private.number_error((v_rule ->> 'threshold')::numeric, 0, 100000000, 4)) end),
          lending_private.field_error(format('rules[%s].reason_code', v_index), case
            when v_rule ->> 'reason_code' = 'other' then 'must be a specific reason, not other'
            when not exists (select from lending_private.adverse_reason as r where r.code = v_rule ->> 'reason_code')
              then 'must be one of the reason codes (lending.list_reason_codes)' end),
          lending_private.field_error(format('rules[%s].on_failure', v_index),
            case when v_rule ->> 'on_failure' is null or v_rule ->> 'on_failure' not in ('reject', 'refer')
                 then 'must be reject or refer' end)]
      end;
      v_index := v_index + 1;
    end loop;
  end if;
  return v_errors;
end;
$$;
comment on function lending_private.product_errors(jsonb) is
  'Field errors of a product document (its terms, and its rates and rules when it has them); nulls where fine.';

-- db/src/underwriting/lending_private.check_product_terms.sql
create or replace function lending_private.check_product_terms()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail_if_invalid(lending_private.product_errors(to_jsonb(new)));
  return new;
end;
$$;
comment on function lending_private.check_product_terms() is
  'Trigger: a product version''s terms follow lending_private.product_errors, whoever writes.';

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

-- db/src/applications/lending_private.check_application_facts.sql
-- The common write (a status change, or a filing without facts) skips the checks: they look up the product.
create or replace function lending_private.check_application_facts()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'UPDATE'
     and (new.product_code, new.currency, new.annual_income, new.monthly_debt_payments, new.employment_status,
          new.months_employed, new.housing_status, new.credit_score, new.credit_score_source, new.credit_score_date,
          new.date_of_birth)
         is not distinct from
         (old.product_code, old.currency, old.annual_income, old.monthly_debt_payments, old.employment_status,
          old.months_employed, old.housing_status, old.credit_score, old.credit_score_source, old.credit_score_date,
          old.date_of_birth) then
    return new;
  end if;
  if tg_op = 'INSERT' and new.product_code = 'standard'
     and num_nonnulls(new.annual_income, new.monthly_debt_payments, new.employment_status, new.months_employed,
                      new.housing_status, new.credit_score, new.credit_score_source, new.credit_score_date,
                      new.date_of_birth) = 0 then
    return new;
  end if;
  perform lending_private.fail_if_invalid(lending_private.application_fact_errors(new));
  return new;
end;
$$;
comment on function lending_private.check_application_facts() is
  'Trigger: an application''s product and facts follow lending_private.application_fact_errors, whoever writes.';

alter table lending_private.application
  add column product_code text not null default 'standard',
  add column annual_income numeric,
  add column monthly_debt_payments numeric,
  add column employment_status text,
  add column months_employed integer,
  add column housing_status text,
  add column credit_score integer,
  add column credit_score_source text,
  add column credit_score_date date,
  add column date_of_birth date,
  add column income_verified boolean,
  add column identity_verified boolean;
comment on column lending_private.application.product_code is
  'The loan product applied for (lending_private.product); the default product, standard, when none was named.';
comment on column lending_private.application.annual_income is 'Gross annual income, in the application''s currency.';
comment on column lending_private.application.monthly_debt_payments is
  'Payments on existing debts per month, before this loan, in the application''s currency.';
comment on column lending_private.application.credit_score is
  'A credit score of 300-850, from credit_score_source on credit_score_date.';
create trigger _160_check_facts before insert or update on lending_private.application
  for each row execute function lending_private.check_application_facts();

-- db/src/applications/lending_private.application_fact_errors.sql
-- The rules of an application's product and facts, every bad one at once: lending.apply and
-- lending.update_application report them, and a trigger (check_application_facts) holds direct SQL to them.
-- An adult is 18 on the day the application was filed, whenever the facts are given; a credit score names where and
-- when it was taken, and cannot come from after the filing day.
create or replace function lending_private.application_fact_errors(a lending_private.application)
returns jsonb[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_filed_on date := (coalesce(a.created_at, now()) at time zone 'UTC')::date;
  v_product_currency text;
  v_product_found boolean;
begin
  select true, v.currency into v_product_found, v_product_currency
    from lending_private.product as p
    join lending_private.product_version as v on v.product_id = p.product_id and v.version = p.current_version
   where p.product_code = a.product_code;
  return array[
    lending_private.field_error('product_code', case
      when a.product_code is null then 'is required'
      when v_product_found is null then 'must be the code of a product (lending.list_products)' end),
    lending_private.field_error('currency', case
      when v_product_currency is not null and a.currency is distinct from v_product_currency
        then format('must be %s, the currency of product %s', v_product_currency, a.product_code) end),
    lending_private.field_error('annual_income', lending_private.money_error(a.annual_income, 0, 100000000)),
    lending_private.field_error('monthly_debt_payments',
      lending_private.money_error(a.monthly_debt_payments, 0, 10000000)),
    lending_private.field_error('employment_status', case
      when a.employment_status not in ('employed', 'self_employed', 'unemployed', 'retired', 'student', 'other')
        then 'must be one of employed, self_employed, unemployed, retired, student, other' end),
    lending_private.field_error('months_employed', lending_private.number_error(a.months_employed, 0, 1200)),
    lending_private.field_error('housing_status', case
      when a.housing_status not in ('own', 'mortgage', 'rent', 'living_with_family', 'other')
        then 'must be one of own, mortgage, rent, living_with_family, other' end),
    lending_private.field_error('credit_score', lending_private.number_error(a.credit_score, 300, 850)),
    lending_private.field_error('credit_score_source', case
      when a.credit_score is not null and a.credit_score_source is null then 'is required with a credit_score'
      else lending_private.text_error(a.credit_score_source, 100) end),
    lending_private.field_error('credit_score_date', case
      when a.credit_score is not null and a.credit_score_date is null then 'is required with a credit_score'
      when a.credit_score_date > v_filed_on then 'must not be after the day the application was filed'
      when a.credit_score_date < date '1900-01-01' then 'must be after 1900-01-01' end),
    lending_private.field_error('date_of_birth', case
      when a.date_of_birth < date '1900-01-01' then 'must be after 1900-01-01'
      when a.date_of_birth + interval '18 years' > v_filed_on
        then format('must make the applicant 18 or older on %s, the day the application was filed', v_filed_on) end)];
end;
$$;
comment on function lending_private.application_fact_errors(lending_private.application) is
  'Field errors of an application''s product and underwriting facts; nulls where fine.';

-- db/src/applications/lending_private.application_facts.sql
-- What an assessment reads of an application, as one document: the loan asked for and the facts underwriting needs.
-- An assessment keeps it, so that it shows what it was made of, and is current while the application's facts still
-- equal it. Money is a decimal string as written (its scale kept), dates are YYYY-MM-DD.
create or replace function lending_private.application_facts(a lending_private.application)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'product_code', a.product_code,
    'amount', a.amount::text,
    'currency', a.currency,
    'term_months', a.term_months,
    'annual_income', a.annual_income::text,
    'monthly_debt_payments', a.monthly_debt_payments::text,
    'employment_status', a.employment_status,
    'months_employed', a.months_employed,
    'housing_status', a.housing_status,
    'credit_score', a.credit_score,
    'credit_score_source', a.credit_score_source,
    'credit_score_date', to_char(a.credit_score_date, 'YYYY-MM-DD'),
    'date_of_birth', to_char(a.date_of_birth, 'YYYY-MM-DD'),
    'income_verified', a.income_verified,
    'identity_verified', a.identity_verified);
end;
$$;
comment on function lending_private.application_facts(lending_private.application) is
  'The loan asked for and the underwriting facts of an application, as an assessment reads them.';

-- db/src/applications/lending_private.missing_facts.sql
-- The facts an assessment under the application's product needs and the application lacks: the term (an offer
-- needs it), the credit score (the risk grade comes from it) and the date of birth (only adults borrow), and
-- whatever the product's policy rules measure (lending_private.policy_measure.needs_facts).
create or replace function lending_private.missing_facts(a lending_private.application)
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_facts jsonb := lending_private.application_facts(a);
begin
  return array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.product as p
              join lending_private.policy_rule as r on r.product_id = p.product_id and r.version = p.current_version
              join lending_private.policy_measure as m on m.measure = r.measure
             where p.product_code = a.product_code) as f
     where v_facts -> f.fact = 'null'
     order by f.fact);
end;
$$;
comment on function lending_private.missing_facts(lending_private.application) is
  'The facts an assessment of the application under its product needs and it does not have yet, by name.';

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

-- db/src/applications/lending_private.decision_reasons_error.sql
-- A rejection states its principal reasons: one to four codes of the adverse-action vocabulary
-- (lending_private.adverse_reason), `other` standing for a reason the list lacks, with the decision's reason as its
-- specific text. A referral to manual review may name up to four, for the reviewer; an approval names none (its
-- reason says why). Decisions recorded before the vocabulary existed keep the free codes they had.
create or replace function lending_private.decision_reasons_error(outcome text, reason_codes text[])
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_unknown text;
begin
  select string_agg(c, ', ') into v_unknown
    from unnest(reason_codes) as c
   where not exists (select from lending_private.adverse_reason as r where r.code = c);
  return case
    when v_unknown is not null
      then format('must be reason codes of lending.list_reason_codes; unknown: %s', v_unknown)
    when cardinality(reason_codes) <> cardinality(array(select distinct unnest(reason_codes)))
      then 'must not repeat a code'
    when outcome = 'rejected' and coalesce(cardinality(reason_codes), 0) not between 1 and 4
      then 'a rejection needs 1-4 reason codes, most important first (other, with the reason as its text, when none fits)'
    when outcome = 'manual_review' and cardinality(reason_codes) > 4 then 'must hold at most 4 codes'
    when outcome = 'approved' and cardinality(reason_codes) > 0
      then 'an approval takes no adverse-action reason codes'
  end;
end;
$$;
comment on function lending_private.decision_reasons_error(text, text[]) is
  'What is wrong with a decision''s reason codes for its outcome, or null.';

-- db/src/applications/lending_private.check_decision_reasons.sql
create or replace function lending_private.check_decision_reasons()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail_if_invalid(array[lending_private.field_error(
    'reason_codes', lending_private.decision_reasons_error(new.outcome, new.reason_codes))]);
  return new;
end;
$$;
comment on function lending_private.check_decision_reasons() is
  'Trigger: a new decision''s reason codes follow lending_private.decision_reasons_error, whoever writes.';

alter table lending_private.decision
  add column assessment_id bigint references lending_private.assessment,
  add column recommendation text,
  add column overrides_recommendation boolean not null default false,
  add column override_reason lending_private.reason,
  add column decided_by_kind text,
  add column model_name text,
  add column model_version text,
  add column confidence numeric,
  add column requires_confirmation boolean not null default false,
  add constraint decision_override_has_reason check (not overrides_recommendation or override_reason is not null),
  add constraint decision_confidence_is_a_probability check (confidence between 0 and 1);
comment on column lending_private.decision.assessment_id is 'The current assessment the decision relied on, if any.';
comment on column lending_private.decision.recommendation is 'That assessment''s recommendation: approve, reject or refer.';
comment on column lending_private.decision.overrides_recommendation is
  'The outcome differs from the recommendation (approve means approved, reject rejected, refer manual_review).';
comment on column lending_private.decision.decided_by_kind is 'The deciding actor''s kind: agent, human or service.';
comment on column lending_private.decision.model_name is 'For an agent: the model that decided, with model_version.';
comment on column lending_private.decision.confidence is 'For an agent: its confidence in the decision, in [0, 1].';
comment on column lending_private.decision.requires_confirmation is
  'An approval that waits for a second reviewer (four-eyes): above the product''s agent limit, or overriding a reject.';
create trigger _150_check_reasons before insert on lending_private.decision
  for each row execute function lending_private.check_decision_reasons();

-- Claims on applications in manual_review: a reviewer claims one before deciding it (lending.claim_review), so two
-- people do not review the same application at once. A claim lasts the setting review_claim_seconds and then
-- lapses by itself; claims are append-only, the latest unexpired one holds.
create table lending_private.review_claim (
  claim_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  claimed_by text not null,
  claimed_at timestamptz not null default now(),
  expires_at timestamptz not null,
  request_id text,
  constraint review_claim_expires_after_it_starts check (expires_at > claimed_at)
);
create index review_claim_application on lending_private.review_claim (application_id, claim_id);
comment on table lending_private.review_claim is
  'Reviewers'' claims on applications in manual_review; the latest unexpired claim of an application holds it.';

create trigger _100_refuse_change before update or delete on lending_private.review_claim
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.review_claim
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.review_claim
  for each row execute function lending_private.record_audit('application', 'application_id', 'claim_id');

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

-- Offers: an approval fixes one, with its terms copied from the assessment it relied on (or, without one, from the
-- product version in force), so a later product change never alters it. The borrower's answer is recorded once:
-- accepted, declined, or expired when an acceptance came too late.
create table lending_private.offer (
  offer_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  decision_id bigint not null references lending_private.decision,
  assessment_id bigint references lending_private.assessment,
  product_code text not null,
  product_version integer not null,
  amount numeric not null,
  currency text not null,
  risk_grade text,
  annual_rate numeric not null,
  term_months integer,
  amortization text not null,
  installment numeric,
  total_interest numeric,
  origination_fee numeric not null,
  total_repayable numeric,
  apr numeric,
  offered_at timestamptz not null default now(),
  expires_at timestamptz not null,
  constraint offer_expires_after_it_is_made check (expires_at > offered_at)
);
create index offer_application on lending_private.offer (application_id, offer_id);
comment on table lending_private.offer is
  'Offers fixed by approvals. Without a term (the tutorial''s flow) installment, totals and APR are unknown: null.';
comment on column lending_private.offer.risk_grade is
  'The assessment''s grade; null without an assessment, when the offer takes the product''s grade E rate.';

create table lending_private.offer_response (
  offer_id bigint primary key references lending_private.offer,
  application_id bigint not null references lending_private.application,
  response text not null constraint offer_response_is_known check (response in ('accepted', 'declined', 'expired')),
  reason lending_private.reason,
  recorded_by text not null,
  request_id text,
  recorded_at timestamptz not null default now()
);
comment on table lending_private.offer_response is
  'The borrower''s answer to an offer, recorded on their behalf; at most one per offer.';

create trigger _100_refuse_change before update or delete on lending_private.offer
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.offer
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.offer
  for each row execute function lending_private.record_audit('application', 'application_id', 'offer_id', 'amount',
                                                             'installment', 'total_interest', 'origination_fee',
                                                             'total_repayable');
create trigger _100_refuse_change before update or delete on lending_private.offer_response
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.offer_response
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.offer_response
  for each row execute function lending_private.record_audit('application', 'application_id', 'offer_id');

-- Deliveries of adverse action notices: each time the notice of a rejection was sent, and how.
create table lending_private.notice_delivery (
  delivery_id bigint generated always as identity primary key,
  application_id bigint not null references lending_private.application,
  decision_id bigint not null references lending_private.decision,
  channel text not null constraint notice_delivery_channel_is_known check (channel in ('email', 'post', 'in_app', 'sms')),
  recorded_by text not null,
  request_id text,
  sent_at timestamptz not null default now()
);
create index notice_delivery_application on lending_private.notice_delivery (application_id, delivery_id);
comment on table lending_private.notice_delivery is 'Records that an adverse action notice was sent, by which channel.';

create trigger _100_refuse_change before update or delete on lending_private.notice_delivery
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.notice_delivery
  for each statement execute function lending_private.refuse_change();
create trigger _900_audit after insert on lending_private.notice_delivery
  for each row execute function lending_private.record_audit('application', 'application_id', 'delivery_id');

-- db/src/applications/lending_private.decision_json.sql
-- A decision as the API shows it, with its reason codes' words, what it relied on, and the second reviewer's answer
-- when it needed one.
create or replace function lending_private.decision_json(d lending_private.decision)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'decision_id', d.decision_id,
    'application_id', d.application_id,
    'outcome', d.outcome,
    'approved', case d.outcome when 'approved' then true when 'rejected' then false end,
    'reason', d.reason,
    'reason_codes', to_jsonb(d.reason_codes),
    'reasons', (select coalesce(jsonb_agg(jsonb_build_object(
                                  'code', c.code,
                                  'text', case when r.requires_text then d.reason else r.notice_text end)
                                order by c.n), '[]')
                  from unnest(d.reason_codes) with ordinality as c(code, n)
                  join lending_private.adverse_reason as r on r.code = c.code),
    'assessment_id', d.assessment_id,
    'recommendation', d.recommendation,
    'overrides_recommendation', d.overrides_recommendation,
    'override_reason', d.override_reason,
    'decided_by', d.decided_by,
    'decided_by_kind', d.decided_by_kind,
    'model_name', d.model_name,
    'model_version', d.model_version,
    'confidence', d.confidence::text,
    'requires_confirmation', d.requires_confirmation,
    'confirmation', (select jsonb_build_object('confirmed', c.confirmed, 'reason', c.reason,
                                               'confirmed_by', c.confirmed_by,
                                               'confirmed_at', lending_private.json_time(c.confirmed_at))
                       from lending_private.confirmation as c where c.decision_id = d.decision_id),
    'request_id', d.request_id,
    'decided_at', lending_private.json_time(d.decided_at));
end;
$$;
comment on function lending_private.decision_json(lending_private.decision) is
  'A decision as the API shows it; `approved` is true, false, or null for manual_review.';

-- db/src/underwriting/lending_private.assessment_json.sql
-- An assessment as the API shows it, with each reason code's words beside it.
create or replace function lending_private.assessment_json(s lending_private.assessment)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'assessment_id', s.assessment_id,
    'application_id', s.application_id,
    'product_code', s.facts ->> 'product_code',
    'product_version', s.product_version,
    'recommendation', s.recommendation,
    'score', s.score,
    'risk_grade', s.risk_grade,
    'reason_codes', to_jsonb(s.reason_codes),
    'reasons', (select coalesce(jsonb_agg(jsonb_build_object('code', r.code, 'text', r.notice_text) order by c.n), '[]')
                  from unnest(s.reason_codes) with ordinality as c(code, n)
                  join lending_private.adverse_reason as r on r.code = c.code),
    'missing_facts', to_jsonb(s.missing_facts),
    'rules', s.rules,
    'offer', s.offer,
    'facts', s.facts,
    'assessed_by', s.assessed_by,
    'request_id', s.request_id,
    'assessed_at', lending_private.json_time(s.assessed_at));
end;
$$;
comment on function lending_private.assessment_json(lending_private.assessment) is
  'An assessment as the API shows it: recommendation, score, grade, reasons in words, rules, offer and the facts assessed.';

-- db/src/underwriting/lending_private.offer_json.sql
create or replace function lending_private.offer_json(o lending_private.offer)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'offer_id', o.offer_id,
    'decision_id', o.decision_id,
    'assessment_id', o.assessment_id,
    'product_code', o.product_code,
    'product_version', o.product_version,
    'amount', round(o.amount, 2)::text,
    'currency', o.currency,
    'risk_grade', o.risk_grade,
    'annual_rate', o.annual_rate::text,
    'term_months', o.term_months,
    'amortization', o.amortization,
    'installment', o.installment::text,
    'total_interest', o.total_interest::text,
    'origination_fee', o.origination_fee::text,
    'total_repayable', o.total_repayable::text,
    'apr', o.apr::text,
    'offered_at', lending_private.json_time(o.offered_at),
    'expires_at', lending_private.json_time(o.expires_at),
    'response', (select jsonb_build_object('response', r.response, 'reason', r.reason, 'recorded_by', r.recorded_by,
                                           'recorded_at', lending_private.json_time(r.recorded_at))
                   from lending_private.offer_response as r where r.offer_id = o.offer_id));
end;
$$;
comment on function lending_private.offer_json(lending_private.offer) is
  'An offer as the API shows it: its fixed terms, when it expires, and the borrower''s answer if any.';

-- db/src/underwriting/lending_private.review_claim_json.sql
create or replace function lending_private.review_claim_json(c lending_private.review_claim)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when c.claim_id is not null then jsonb_build_object(
    'claim_id', c.claim_id,
    'application_id', c.application_id,
    'claimed_by', c.claimed_by,
    'claimed_at', lending_private.json_time(c.claimed_at),
    'expires_at', lending_private.json_time(c.expires_at)) end;
end;
$$;
comment on function lending_private.review_claim_json(lending_private.review_claim) is 'A review claim as the API shows it.';

-- db/src/applications/lending_private.application_json.sql
-- The application document, which every read and write returns. The latest decision is the last of the history
-- rather than a second query, and the next statuses are read in the document's own query rather than through
-- next_statuses() (the same query, as a PL/pgSQL call per document): get_application 575k -> 540k instructions.
-- Amounts are decimal strings with two places, never JSON numbers. The underwriting facts sit beside the loan's own
-- fields, flat, as update_application's merge patch names them.
create or replace function lending_private.application_json(application_id bigint, with_decisions boolean default true)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select jsonb_build_object(
      'application_id', a.application_id,
      'status', a.status,
      'next_statuses', (select coalesce(to_jsonb(array_agg(t.to_status order by t.to_status)), '[]')
                          from lending_private.status_transition as t where t.from_status = a.status),
      'amount', round(a.amount, 2)::text,
      'currency', a.currency,
      'term_months', a.term_months,
      'purpose', a.purpose,
      'external_ref', a.external_ref,
      'withdrawal_reason', a.withdrawal_reason,
      'applicant_id', p.party_id,
      'applicant_name', p.name,
      'applicant', jsonb_build_object('applicant_id', p.party_id, 'name', p.name, 'email', p.email,
                                      'phone', p.phone, 'external_ref', p.external_ref),
      'version', a.version,
      'created_at', lending_private.json_time(a.created_at),
      'updated_at', lending_private.json_time(a.updated_at),
      'product_code', a.product_code,
      'annual_income', a.annual_income::text,
      'monthly_debt_payments', a.monthly_debt_payments::text,
      'employment_status', a.employment_status,
      'months_employed', a.months_employed,
      'housing_status', a.housing_status,
      'credit_score', a.credit_score,
      'credit_score_source', a.credit_score_source,
      'credit_score_date', to_char(a.credit_score_date, 'YYYY-MM-DD'),
      'date_of_birth', to_char(a.date_of_birth, 'YYYY-MM-DD'),
      'income_verified', a.income_verified,
      'identity_verified', a.identity_verified,
      'missing_facts', to_jsonb(lending_private.missing_facts(a)))
    || case when with_decisions then jsonb_build_object(
         'assessment', (select lending_private.assessment_json(s)
                               || jsonb_build_object('current', s.facts = lending_private.application_facts(a))
                          from lending_private.assessment as s
                         where s.application_id = a.application_id order by s.assessment_id desc limit 1),
         'offer', (select lending_private.offer_json(o) from lending_private.offer as o
                    where o.application_id = a.application_id order by o.offer_id desc limit 1),
         'review_claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                           where c.application_id = a.application_id and c.expires_at > now()
                           order by c.claim_id desc limit 1))
       else '{}' end
    || case when with_decisions then (
         select jsonb_build_object('decision', h.decisions -> -1, 'decisions', h.decisions)
           from (select coalesce(jsonb_agg(lending_private.decision_json(d) order by d.decision_id), '[]') as decisions
                   from lending_private.decision as d where d.application_id = a.application_id) as h)
       else '{}' end
  from lending_private.application as a
  join lending_private.party as p on p.party_id = a.applicant_id
  where a.application_id = application_json.application_id);
end;
$$;
comment on function lending_private.application_json(bigint, boolean) is
  'An application with its applicant, product and facts and, unless with_decisions is false, its latest decision, '
  'decision history, latest assessment, offer and review claim.';

-- db/src/applications/lending.apply.sql
drop function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, text, text);
-- The hot path of the product; each choice below was measured (callgrind, instructions per call; bench/README.md):
-- * Validation is one plain expression, with no subquery in it: a subquery made it a query that PostgreSQL planned
--   afresh on every call (the custom plan of each call folds the CASE away, and so always looks cheaper than the
--   generic one). Whether an applicant_id exists is looked up before, and the PERFORM that raises runs only when
--   some field is wrong.
-- * The currency is looked up once; a taken applicant_external_ref is found by the party's insert, not a look-up.
-- * The response is built without looking for decisions: the application was filed in this very call.
-- * enable_seqscan is off, as in authorize(): the planner preferred reading all 150 currencies to find USD.
create or replace function lending.apply(
  amount numeric,
  applicant_name text default null,
  applicant_id bigint default null,
  applicant_email text default null,
  applicant_phone text default null,
  applicant_external_ref text default null,
  currency text default 'USD',
  term_months integer default null,
  purpose text default null,
  external_ref text default null,
  product_code text default null,
  annual_income numeric default null,
  monthly_debt_payments numeric default null,
  employment_status text default null,
  months_employed integer default null,
  housing_status text default null,
  credit_score integer default null,
  credit_score_source text default null,
  credit_score_date date default null,
  date_of_birth date default null,
  income_verified boolean default null,
  identity_verified boolean default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
as $$
declare
  v_role text := lending_private.authorize('apply', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_applicant_id bigint := apply.applicant_id;
  v_applicant_exists boolean;
  v_minor_units smallint;
  v_field_errors jsonb[];
  v_existing_party bigint;
  v_application_id bigint;
  v_facts lending_private.application;
  v_has_facts boolean := num_nonnulls(product_code, annual_income, monthly_debt_payments, employment_status,
                                      months_employed, housing_status, credit_score, credit_score_source,
                                      credit_score_date, date_of_birth, income_verified, identity_verified) > 0;
begin
  v_request := jsonb_build_object(
    'amount', amount, 'applicant_name', applicant_name, 'applicant_id', applicant_id,
    'applicant_email', applicant_email, 'applicant_phone', applicant_phone,
    'applicant_external_ref', applicant_external_ref, 'currency', currency, 'term_months', term_months,
    'purpose', purpose, 'external_ref', external_ref)
    || case when v_has_facts then jsonb_build_object(
         'product_code', product_code, 'annual_income', annual_income,
         'monthly_debt_payments', monthly_debt_payments, 'employment_status', employment_status,
         'months_employed', months_employed, 'housing_status', housing_status, 'credit_score', credit_score,
         'credit_score_source', credit_score_source, 'credit_score_date', credit_score_date,
         'date_of_birth', date_of_birth, 'income_verified', income_verified, 'identity_verified', identity_verified)
       else '{}' end;
  v_replay := lending_private.idempotency_claim(idempotency_key, 'apply', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select c.minor_units into v_minor_units from lending_private.currency as c where c.code = apply.currency;
  if applicant_id is not null then
    v_applicant_exists := exists (select from lending_private.party as p where p.party_id = apply.applicant_id);
  end if;
  v_field_errors := array[
      lending_private.field_error('amount', lending_private.amount_error(amount, v_minor_units)),
      lending_private.field_error('currency', case when v_minor_units is null
                                                   then lending_private.currency_error(currency) end),
      lending_private.field_error('term_months', lending_private.term_months_error(term_months)),
      lending_private.field_error('purpose', lending_private.text_error(purpose, 500)),
      lending_private.field_error('external_ref', lending_private.text_error(external_ref, 100))]
    || case
      when applicant_id is null then array[
        lending_private.field_error('applicant_name', lending_private.text_error(applicant_name, 255, true)),
        lending_private.field_error('applicant_email', lending_private.email_error(applicant_email)),
        lending_private.field_error('applicant_phone', lending_private.phone_error(applicant_phone)),
        lending_private.field_error('applicant_external_ref', lending_private.text_error(applicant_external_ref, 100))]
      when num_nonnulls(applicant_name, applicant_email, applicant_phone, applicant_external_ref) > 0 then array[
        lending_private.field_error('applicant_id',
          'give either applicant_id or the applicant''s fields (applicant_name, applicant_email, applicant_phone, applicant_external_ref), not both')]
      when not v_applicant_exists then array[
        lending_private.field_error('applicant_id', format('no applicant has id %s', applicant_id))]
      else '{}'::jsonb[]
    end;
  if v_has_facts then
    -- The facts are checked as the trigger on the application would check them, but with every other field here.
    v_facts.amount := amount;
    v_facts.currency := currency;
    v_facts.product_code := coalesce(product_code, 'standard');
    v_facts.annual_income := annual_income;
    v_facts.monthly_debt_payments := monthly_debt_payments;
    v_facts.employment_status := employment_status;
    v_facts.months_employed := months_employed;
    v_facts.housing_status := housing_status;
    v_facts.credit_score := credit_score;
    v_facts.credit_score_source := credit_score_source;
    v_facts.credit_score_date := credit_score_date;
    v_facts.date_of_birth := date_of_birth;
    v_facts.income_verified := income_verified;
    v_facts.identity_verified := identity_verified;
    v_field_errors := v_field_errors || lending_private.application_fact_errors(v_facts);
  end if;
  if num_nonnulls(variadic v_field_errors) > 0 then
    perform lending_private.fail_if_invalid(v_field_errors);
  end if;

  if v_applicant_id is null then
    -- A taken applicant_external_ref is found by the insert itself: ON CONFLICT waits for a concurrent apply that
    -- inserted the same one and, once that commits, inserts nothing. A look-up before a plain insert missed such an
    -- apply, whose insert then failed on the unique constraint: one condition answered with two codes. (Under
    -- REPEATABLE READ, where the other's row stays invisible, PostgreSQL raises a serialization failure: retry.)
    insert into lending_private.party (name, email, phone, external_ref)
    values (applicant_name, applicant_email, applicant_phone, applicant_external_ref)
    on conflict on constraint party_external_ref_is_unique do nothing
    returning party_id into v_applicant_id;
    if v_applicant_id is null then
      select p.party_id into v_existing_party from lending_private.party as p
       where p.external_ref = apply.applicant_external_ref;
      perform lending_private.fail(
        'applicant_exists',
        format('An applicant with external_ref %L already exists (applicant_id %s)', applicant_external_ref,
               v_existing_party),
        jsonb_build_object('applicant_id', v_existing_party, 'applicant_external_ref', applicant_external_ref));
    end if;
  end if;

  insert into lending_private.application (
    applicant_id, amount, currency, term_months, purpose, external_ref, product_code, annual_income,
    monthly_debt_payments, employment_status, months_employed, housing_status, credit_score, credit_score_source,
    credit_score_date, date_of_birth, income_verified, identity_verified)
  values (
    v_applicant_id, amount, currency, term_months, purpose, external_ref, coalesce(product_code, 'standard'),
    annual_income, monthly_debt_payments, employment_status, months_employed, housing_status, credit_score,
    credit_score_source, credit_score_date, date_of_birth, income_verified, identity_verified)
  returning application_id into v_application_id;

  -- The application was filed just now, so it has no decisions: its document is built without looking for them.
  return lending_private.idempotency_complete(idempotency_key, 'apply', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.application_json(v_application_id, with_decisions => false)
                           || '{"decision": null, "decisions": [], "assessment": null, "offer": null, "review_claim": null}'));
end;
$$;
comment on function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, numeric, numeric, text, integer, text, integer, text, date, date, boolean, boolean, text, text, text) is
$$Files a loan application in status pending.

The applicant is either an existing one (applicant_id) or new, from applicant_name (required then),
applicant_email, applicant_phone and applicant_external_ref. amount is exact: > 0, at most 10000000.00, at most
2 decimal places (fewer if the currency has fewer). currency is an ISO 4217 code (default USD); term_months is
1-480; purpose at most 500 characters; external_ref at most 100. product_code names the loan product (default
standard, which needs no assessment); the underwriting facts may be given now or later (update_application):
annual_income and monthly_debt_payments (>= 0, 2 decimals), employment_status (employed, self_employed, unemployed,
retired, student, other), months_employed (0-1200), housing_status (own, mortgage, rent, living_with_family,
other), credit_score (300-850, with credit_score_source and credit_score_date, not after today), date_of_birth (18
or older today), income_verified, identity_verified. A repeated idempotency_key with the same arguments returns the
first response and writes nothing.
Returns: {status: 201, body: application, replayed}; the application as lending.get_application shows it.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, applicant_exists, idempotency_key_reused.$$;
grant execute on function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, numeric, numeric, text, integer, text, integer, text, date, date, boolean, boolean, text, text, text) to lending_api;

-- db/src/applications/lending.decide.sql
drop function lending.decide(bigint, text, text, text[], integer, text, text, text);
-- A decision, in order: the arguments; the application (locked) and whether its status allows this outcome; the
-- claim a manual review needs; the assessment it relies on, the latest, which must still be current (the facts
-- unchanged since); whether it overrides that assessment's recommendation; and whether an approval needs a second
-- person (four-eyes): above the product's agent limit, or overriding a reject. Then one decision row, the status,
-- and, for an approval that stands, its offer.
create or replace function lending.decide(
  application_id bigint,
  outcome text,
  reason text,
  reason_codes text[] default '{}',
  expected_version integer default null,
  override_reason text default null,
  model_name text default null,
  model_version text default null,
  confidence numeric default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_actor lending_private.actor;
  v_application lending_private.application;
  v_product lending_private.product_version;
  v_assessment lending_private.assessment;
  v_current boolean;
  v_overrides boolean := false;
  v_needs_confirmation boolean;
  v_decision lending_private.decision;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'outcome', outcome, 'reason', reason, 'reason_codes', reason_codes,
    'expected_version', expected_version, 'override_reason', override_reason, 'model_name', model_name,
    'model_version', model_version, 'confidence', confidence);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decide', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select * into v_actor from lending_private.actor as a where a.name = lending_private.current_actor();
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('outcome', case
      when outcome is null then 'is required'
      when outcome not in ('approved', 'rejected', 'manual_review')
        then 'must be one of approved, rejected, manual_review' end),
    lending_private.field_error('reason', lending_private.text_error(reason, 2000, true)),
    lending_private.field_error('reason_codes',
      lending_private.decision_reasons_error(outcome, coalesce(reason_codes, '{}'))),
    lending_private.field_error('override_reason', lending_private.text_error(override_reason, 2000)),
    lending_private.field_error('model_name', lending_private.text_error(model_name, 100)),
    lending_private.field_error('model_version', case
      when model_version is not null and model_name is null then 'needs model_name'
      else lending_private.text_error(model_version, 100) end),
    lending_private.field_error('confidence', lending_private.number_error(confidence, 0, 1, 4))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status = 'pending_confirmation' then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s waits for a second reviewer: confirm or decline the decision with confirm_decision',
             application_id),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status,
                         'requested_status', outcome, 'allowed', '[]'::jsonb));
  end if;
  perform lending_private.check_transition(application_id, v_application.status, outcome);
  if v_application.status = 'manual_review' and not exists (
       select from lending_private.review_claim as c
        where c.application_id = decide.application_id and c.claimed_by = v_actor.name and c.expires_at > now()
          and c.claim_id = (select max(l.claim_id) from lending_private.review_claim as l
                             where l.application_id = decide.application_id)) then
    perform lending_private.fail(
      'review_claim_required',
      format('Application %s is in manual review: claim it with claim_review before deciding it', application_id),
      jsonb_build_object('application_id', application_id, 'actor', v_actor.name));
  end if;

  select v.* into strict v_product
    from lending_private.product as p
    join lending_private.product_version as v on v.product_id = p.product_id and v.version = p.current_version
   where p.product_code = v_application.product_code;
  select * into v_assessment from lending_private.assessment as s
   where s.application_id = decide.application_id order by s.assessment_id desc limit 1;
  v_current := v_assessment.facts = lending_private.application_facts(v_application);
  if v_assessment.assessment_id is not null and not v_current and outcome <> 'manual_review' then
    perform lending_private.fail(
      'assessment_stale',
      format('Application %s changed after its latest assessment %s: assess it again before deciding',
             application_id, v_assessment.assessment_id),
      jsonb_build_object('application_id', application_id, 'assessment_id', v_assessment.assessment_id));
  end if;
  if v_assessment.assessment_id is null and outcome = 'approved' and v_product.requires_assessment then
    perform lending_private.fail(
      'assessment_required',
      format('Product %s requires an assessment before approval: run assess_application on application %s',
             v_application.product_code, application_id),
      jsonb_build_object('application_id', application_id, 'product_code', v_application.product_code));
  end if;

  if v_current then
    v_overrides := outcome <> case v_assessment.recommendation when 'approve' then 'approved'
                                                               when 'reject' then 'rejected'
                                                               else 'manual_review' end;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('override_reason', case
      when v_overrides and override_reason is null
        then format('is required: the decision %s overrides assessment %s, which recommends %s', outcome,
                    v_assessment.assessment_id, v_assessment.recommendation) end),
    lending_private.field_error('model_name', case
      when v_actor.kind = 'agent' and v_product.requires_assessment and model_name is null
        then format('is required from an agent deciding under product %s', v_application.product_code) end),
    lending_private.field_error('confidence', case
      when v_actor.kind = 'agent' and v_product.requires_assessment and confidence is null
        then format('is required from an agent deciding under product %s', v_application.product_code) end)]);
  v_needs_confirmation := outcome = 'approved'
                          and (v_application.amount > v_product.agent_approval_limit
                               or (v_overrides and v_assessment.recommendation = 'reject'));

  insert into lending_private.decision (
    application_id, outcome, reason, reason_codes, decided_by, request_id, assessment_id, recommendation,
    overrides_recommendation, override_reason, decided_by_kind, model_name, model_version, confidence,
    requires_confirmation)
  values (
    application_id, outcome, reason, coalesce(reason_codes, '{}'), v_actor.name, lending_private.current_request_id(),
    case when v_current then v_assessment.assessment_id end, case when v_current then v_assessment.recommendation end,
    v_overrides, override_reason, v_actor.kind, model_name, model_version, confidence, v_needs_confirmation)
  returning * into v_decision;

  update lending_private.application as a
     set status = case when v_needs_confirmation then 'pending_confirmation' else outcome end
   where a.application_id = decide.application_id
  returning * into v_application;
  if v_application.status = 'approved' then
    perform lending_private.make_offer(v_decision);
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'decide', v_request, jsonb_build_object(
    'status', 201,
    'body', lending_private.decision_json(v_decision)
            || jsonb_build_object('status', v_application.status, 'version', v_application.version,
                                  'offer', (select lending_private.offer_json(o) from lending_private.offer as o
                                             where o.decision_id = v_decision.decision_id))));
end;
$$;
comment on function lending.decide(bigint, text, text, text[], integer, text, text, text, numeric, text, text, text) is
$$Records an underwriting decision and moves the application to its outcome, or to pending_confirmation.

outcome is approved, rejected or manual_review; reason is 1-2000 characters. reason_codes come from
lending.list_reason_codes: a rejection needs 1-4, most important first (other, with reason as its specific text,
when none fits); a referral may give up to 4; an approval none. The decision relies on the application's latest
assessment, which must be current (facts unchanged since; else assessment_stale); a product that requires an
assessment cannot be approved without one (assessment_required). An outcome other than the assessment's
recommendation is an override and needs override_reason. An agent deciding under such a product gives model_name
(and model_version) and confidence in [0, 1]. An application in manual_review can be decided only by the holder of
an unexpired claim (claim_review). An approval above the product's agent_approval_limit, or one overriding a reject
recommendation, waits in pending_confirmation for a second reviewer (confirm_decision); any other approval fixes an
offer at once. With expected_version the call fails unless the application is at that version.
Returns: {status: 201, body: decision with the application's new status and version and the offer, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, review_claim_required, assessment_required, assessment_stale, idempotency_key_reused.$$;
grant execute on function lending.decide(bigint, text, text, text[], integer, text, text, text, numeric, text, text, text) to lending_api;

-- db/src/applications/lending.update_application.sql
-- A JSON merge patch (RFC 7396) over the application's loan and facts: a field given replaces the current value, a
-- null clears it, an absent one stays. Every field is checked for its JSON type first, then the patched application
-- as a whole (lending_private.application_fact_errors), every bad field at once. A patch that changes nothing
-- writes nothing.
create or replace function lending.update_application(
  application_id bigint,
  changes jsonb,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('update_application', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'changes', changes,
                                        'expected_version', expected_version);
  v_kinds constant jsonb := '{
    "amount": "number", "term_months": "integer", "purpose": "text", "product_code": "text",
    "annual_income": "number", "monthly_debt_payments": "number", "employment_status": "text",
    "months_employed": "integer", "housing_status": "text", "credit_score": "integer",
    "credit_score_source": "text", "credit_score_date": "date", "date_of_birth": "date",
    "income_verified": "boolean", "identity_verified": "boolean"}';
  v_replay jsonb;
  v_application lending_private.application;
  v_patched lending_private.application;
  v_minor_units smallint;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'update_application', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  if changes is null or jsonb_typeof(changes) <> 'object' then
    perform lending_private.fail_if_invalid(array[lending_private.field_error('changes', 'must be an object')]);
  end if;
  perform lending_private.fail_if_invalid(array(
    select lending_private.field_error(c.key, case
             when not v_kinds ? c.key then format('cannot be changed: the fields that can are %s',
                                                  (select string_agg(k, ', ' order by k) from jsonb_object_keys(v_kinds) as k))
             when c.key in ('amount', 'product_code') and c.value = 'null' then 'cannot be cleared'
             else lending_private.json_value_error(c.value, v_kinds ->> c.key) end)
      from jsonb_each(changes) as c order by c.key));

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status not in ('pending', 'manual_review') then
    perform lending_private.fail(
      'not_in_underwriting',
      format('Application %s is %s: its facts can change only while it is pending or in manual_review',
             application_id, v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;

  v_patched := jsonb_populate_record(v_application, changes);
  select c.minor_units into v_minor_units from lending_private.currency as c where c.code = v_patched.currency;
  perform lending_private.fail_if_invalid(array[
      lending_private.field_error('amount', case when changes ? 'amount'
                                                 then lending_private.amount_error(v_patched.amount, v_minor_units) end),
      lending_private.field_error('term_months', lending_private.term_months_error(v_patched.term_months)),
      lending_private.field_error('purpose', lending_private.text_error(v_patched.purpose, 500))]
    || lending_private.application_fact_errors(v_patched));

  if v_patched is distinct from v_application then
    update lending_private.application as a
       set amount = v_patched.amount, term_months = v_patched.term_months, purpose = v_patched.purpose,
           product_code = v_patched.product_code, annual_income = v_patched.annual_income,
           monthly_debt_payments = v_patched.monthly_debt_payments, employment_status = v_patched.employment_status,
           months_employed = v_patched.months_employed, housing_status = v_patched.housing_status,
           credit_score = v_patched.credit_score, credit_score_source = v_patched.credit_score_source,
           credit_score_date = v_patched.credit_score_date, date_of_birth = v_patched.date_of_birth,
           income_verified = v_patched.income_verified, identity_verified = v_patched.identity_verified
     where a.application_id = update_application.application_id;
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'update_application', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.update_application(bigint, jsonb, integer, text, text, text) is
$$Changes an application's loan and underwriting facts with a JSON merge patch, while it is pending or in review.

changes is an object of the fields to change: amount, term_months, purpose, product_code, annual_income,
monthly_debt_payments, employment_status, months_employed, housing_status, credit_score, credit_score_source,
credit_score_date, date_of_birth, income_verified, identity_verified. A field given replaces the current value, null
clears it (not amount or product_code), an absent one stays; the result is checked as lending.apply checks a new
application. Emits application.updated when something changed; an assessment made before is then stale. With
expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_underwriting, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.update_application(bigint, jsonb, integer, text, text, text) to lending_api;

-- db/src/underwriting/lending_private.risk_score.sql
-- The score behind the risk grade: the credit score, 10 points up when income is verified, 20 down for less than a
-- year in the current employment, kept within 300-850. Plain on purpose: a reviewer can redo it by hand, and a
-- notice can name what moved it. The loan's own burden (debt-to-income) is a policy rule rather than part of the
-- score, because the installment it needs comes from the rate, which comes from the grade.
create or replace function lending_private.risk_score(credit_score integer, income_verified boolean,
                                                      months_employed integer)
returns integer
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if credit_score is null then
    return null;
  end if;
  return least(850, greatest(300, credit_score
                                  + case when income_verified then 10 else 0 end
                                  - case when months_employed < 12 then 20 else 0 end));
end;
$$;
comment on function lending_private.risk_score(integer, boolean, integer) is
  'An assessment''s score: the credit score, +10 with verified income, -20 under 12 months employed, within 300-850.';

-- db/src/underwriting/lending_private.repayment_schedule.sql
-- The repayment schedule of a loan: one row per monthly period, every amount in cents, computed exactly.
--
-- The monthly rate is i = annual_rate / 1200 (annual_rate is a percent). Each amount of money is rounded half away
-- from zero to the cent in the period it belongs to, because that is what the borrower is charged; the last period
-- then takes whatever principal is left, with its interest, so the schedule always ends at a balance of exactly 0.00.
-- The cent that rounding a level amount gains or loses each month adds up, and for an annuity it compounds at the
-- loan's rate: at 36% over 480 months it decides the end of the loan (100.00 pays 3.00 of interest alone each month
-- and 103.00 at the end; 250,000.00 at 7,500.01 a month is repaid after 460 months). A period never pays more
-- principal than is left, so a loan the rounding overpays ends early and its remaining periods pay 0.00: no
-- balance or payment is ever negative.
--
-- Nothing goes through an approximation. Every quantity is non-negative, so rounding a quotient a / b half away
-- from zero to an integer is floor(a / b + 1/2) = div(2a + b, 2b), and div() on numeric is an exact long division on
-- every server version; the compound factor (1200 + annual_rate)^n is built from exact numeric multiplications.
-- This is deliberate: numeric's ^ and / choose their own result scale, which differs between PostgreSQL versions
-- (15 gives 1.00665833 ^ 480 to 16 decimals, 18 to 15), and their approximate quotient rounds a payment of exactly
-- half a cent the wrong way: 403.00 at 18% over 2 months pays exactly 206.045, hence 206.05, where the textbook
-- formula written with ^ and / gives 206.04 on both. So a call gives the same cents on every server, and an
-- independent exact calculation (tests/db/underwriting/test_loan_math.py) can check every one of them.
create or replace function lending_private.repayment_schedule(
  principal numeric, annual_rate numeric, term_months integer, amortization text)
returns table (period integer, payment numeric, interest numeric, principal_paid numeric, balance numeric)
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_rate numeric := trim_scale(annual_rate);
  v_remaining numeric := round(principal, 2);
  v_level_principal numeric;  -- equal_principal: the principal of every period but the last
  v_level_payment numeric;    -- annuity: the payment of every period but the last
  v_grown numeric := 1;       -- (1200 + r)^n, so that (1 + i)^n = v_grown / v_flat
  v_flat numeric := 1;        -- 1200^n
  v_grown_base numeric;
  v_flat_base numeric := 1200;
  v_exponent integer := term_months;
begin
  -- An internal function: its callers check what users send, so a violation here is a bug, not a user's problem.
  if principal <= 0 or principal <> round(principal, 2) then
    raise exception 'repayment_schedule: principal must be a positive amount in cents, not %', principal;
  end if;
  -- The exact factor has term_months times as many decimals as the rate: ten is more than any rate is quoted with,
  -- and keeps the factor well inside numeric's range.
  if v_rate < 0 or scale(v_rate) > 10 then
    raise exception 'repayment_schedule: annual_rate must be a percent >= 0 with at most 10 decimals, not %',
      annual_rate;
  end if;
  if term_months not between 1 and 480 then
    raise exception 'repayment_schedule: term_months must be between 1 and 480, not %', term_months;
  end if;
  if amortization not in ('annuity', 'equal_principal') then
    raise exception 'repayment_schedule: amortization must be annuity or equal_principal, not %', amortization;
  end if;

  -- principal / n to the cent (in cents: 100 * principal / n).
  v_level_principal := div(200 * v_remaining + term_months, 2 * term_months) * 0.01;

  if amortization = 'annuity' and v_rate = 0 then
    v_level_payment := v_level_principal;
  elsif amortization = 'annuity' then
    -- Exponentiation by squaring: about 2 * log2(n) exact multiplications.
    v_grown_base := 1200 + v_rate;
    while v_exponent > 0 loop
      if v_exponent % 2 = 1 then
        v_grown := v_grown * v_grown_base;
        v_flat := v_flat * v_flat_base;
      end if;
      v_exponent := v_exponent / 2;
      if v_exponent > 0 then
        v_grown_base := v_grown_base * v_grown_base;
        v_flat_base := v_flat_base * v_flat_base;
      end if;
    end loop;
    -- The textbook payment P*i / (1 - (1+i)^-n) = P*i*X / (X - Y) with X = (1200+r)^n, Y = 1200^n and i = r/1200:
    -- in cents, P*r*X / (12*(X - Y)).
    v_level_payment := div(2 * v_remaining * v_rate * v_grown + 12 * (v_grown - v_flat), 24 * (v_grown - v_flat))
      * 0.01;
  end if;

  for v_period in 1..term_months loop
    period := v_period;
    -- balance * r / 1200 to the cent (in cents: balance * r / 12).
    interest := div(2 * v_remaining * v_rate + 12, 24) * 0.01;
    if v_period = term_months then
      principal_paid := v_remaining;
    elsif amortization = 'annuity' then
      -- The level payment covers the interest: it is at least principal * i rounded, and the balance only falls.
      principal_paid := least(v_level_payment - interest, v_remaining);
    else
      principal_paid := least(v_level_principal, v_remaining);
    end if;
    payment := principal_paid + interest;
    v_remaining := v_remaining - principal_paid;
    balance := v_remaining;
    return next;
  end loop;
end;
$$;
comment on function lending_private.repayment_schedule(numeric, numeric, integer, text) is
$$The monthly repayment schedule of principal at annual_rate percent a year over term_months months.

amortization is 'annuity' (a level payment) or 'equal_principal' (level principal plus each period's interest).
Every amount is rounded half away from zero to the cent each period, and the last period clears the balance to
0.00. Computed exactly, so every server gives the same cents. Raises a plain exception on arguments no caller
should pass (principal not positive cents, a negative rate or one with more than 10 decimals, a term outside
1-480, another amortization).$$;

-- db/src/underwriting/lending_private.annual_percentage_rate.sql
-- The annual percentage rate of a closed-end loan, by the actuarial method of Regulation Z (12 CFR 1026.22(a)(1),
-- Appendix J), for the loans Lendgres makes: one advance, then payments[k] due k months after it.
--
-- The choices, and why:
-- - The unit period is the month: Appendix J (b)(4) makes it the period that occurs most often, and our payments are
--   monthly. The first period is regular (the first payment is due one month after the advance), so there is no
--   fractional period and the general equation of (b)(8) reduces to  amount_financed = sum payments[k] / (1+i)^k.
-- - The APR is the unit-period rate times the number of unit periods in a year, 12 (b)(1): a nominal rate, not an
--   effective one. It is returned in percent, rounded half away from zero to 2 decimals (12.00 means 12.00%): (b)(9)
--   asks for enough iterations that the rate rounded to 2 decimals is correct, and that is what is disclosed.
-- - The equation is solved in the form of (a)(2): each month the unpaid balance grows by that month's finance
--   charge and falls by the payment, and the APR is the rate at which the balance after the last payment is 0.
--   That final balance changes sign once, from negative (payments exceed the amount financed at i = 0) to positive,
--   so bisection on its sign cannot fail to converge, and it needs no division: only numeric additions,
--   multiplications by 2 or 1/2 and round(), which give the same digits on every PostgreSQL version (numeric's
--   division picks its own scale, and Newton's method would need one per step). The bracket starts at [0, 100% a
--   month] and doubles its top until it holds the root (at most 63 times); bisection then stops once it is 1e-15 a
--   month wide: 51 steps in all for any APR under 1200%, and never more than 200, so the cost is bounded (about
--   12 ms for 480 payments). Balances and rates are rounded to 30 decimals at each step, so the numbers do not grow;
--   that error is far below the 2 decimals kept.
create or replace function lending_private.annual_percentage_rate(amount_financed numeric, payments numeric[])
returns numeric
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_total numeric := 0;
  v_payment numeric;
  v_rate numeric := 1;  -- the monthly rate tried: 100% a month first
  v_low numeric := 0;   -- the highest rate tried at which the loan is not paid off (final balance <= 0)
  v_high numeric;       -- the lowest rate tried at which it is more than paid off; null until one is found
  v_balance numeric;
  v_steps integer := 0;
begin
  -- An internal function: its callers compute what they pass, so a violation here is a bug, not a user's problem.
  if amount_financed <= 0 then
    raise exception 'annual_percentage_rate: amount_financed must be positive, not %', amount_financed;
  end if;
  if cardinality(payments) = 0 or array_ndims(payments) <> 1 then
    raise exception 'annual_percentage_rate: payments must be a non-empty list';
  end if;
  foreach v_payment in array payments loop
    if v_payment is null or v_payment < 0 then
      raise exception 'annual_percentage_rate: every payment must be 0 or more, not %', v_payment;
    end if;
    v_total := v_total + v_payment;
  end loop;
  if v_total < amount_financed then
    raise exception 'annual_percentage_rate: the payments (%) sum to less than the amount financed (%)',
      v_total, amount_financed;
  end if;
  if v_total = amount_financed then
    return 0.00;  -- no finance charge
  end if;

  loop
    v_balance := amount_financed;
    foreach v_payment in array payments loop
      v_balance := round(v_balance * (1 + v_rate) - v_payment, 30);
    end loop;
    if v_balance > 0 then
      v_high := v_rate;
    else
      v_low := v_rate;
    end if;
    exit when v_high is not null and v_high - v_low <= 1e-15;
    v_steps := v_steps + 1;
    if v_steps = 200 or (v_high is null and v_steps = 64) then
      raise exception 'annual_percentage_rate: no rate found for % financed against % payments summing to %',
        amount_financed, cardinality(payments), v_total;
    end if;
    v_rate := case when v_high is null then v_rate * 2 else round((v_low + v_high) * 0.5, 30) end;
  end loop;
  return round(1200 * (v_low + v_high) * 0.5, 2);
end;
$$;
comment on function lending_private.annual_percentage_rate(numeric, numeric[]) is
$$The APR, in percent rounded to 2 decimals, of amount_financed repaid by payments[k] due k months after it.

Regulation Z's actuarial method (12 CFR 1026 Appendix J) with a monthly unit period and a regular first period:
the nominal yearly rate 12 * i at which amount_financed = sum payments[k] / (1 + i)^k, found by bisection in exact
numeric arithmetic (the same on every server). 0.00 when the payments sum to amount_financed. Raises a plain
exception when amount_financed is not positive, payments is empty, holds a null or negative payment, or sums to
less than amount_financed.$$;

-- db/src/underwriting/lending_private.evaluate_policy.sql
-- The assessment itself: a product version's policy applied to an application's facts. It reads the facts given and
-- the product's rows, and nothing else: no clock, no random, no session setting (amounts are numeric, dates are
-- compared as dates), so the same facts under the same version always give the same result (a test reads this
-- source for the clock and randomness functions, and runs it under several TimeZone settings).
--
-- In order:
-- 1. The score and grade (lending_private.risk_score, lending_private.risk_grade), the grade's rate, and from it the
--    offer: installment, total interest and the schedule's payments (lending_private.repayment_schedule), the
--    origination fee (its percent of the amount, at most its cap), and the APR of the payments against the amount
--    less the fee (lending_private.annual_percentage_rate). No offer without a grade and a term within the product.
-- 2. The rules, in order of importance: the product's own limits (amount and term in range) first, then its policy
--    rules by position. A rule whose measure lacks a fact is `missing`; one that cannot be measured for another
--    reason (a ratio over an income of 0 fails; debt-to-income without an offer is `skipped`) says so.
-- 3. The recommendation: reject when a reject rule failed; else refer when a refer rule failed or a fact is missing;
--    else approve. Its reasons are the failed rules' codes in rule order, reject rules' first, each once, at most
--    four (Regulation B asks for the principal reasons, and its commentary finds more than four unlikely to help the
--    applicant); a referral for missing facts starts with credit_application_incomplete.
create or replace function lending_private.evaluate_policy(facts jsonb, product_id bigint, version integer)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_product lending_private.product_version;
  v_code text;
  v_amount numeric := (facts ->> 'amount')::numeric;
  v_term integer := (facts ->> 'term_months')::integer;
  v_income numeric := (facts ->> 'annual_income')::numeric;
  v_debt numeric := (facts ->> 'monthly_debt_payments')::numeric;
  v_missing text[];
  v_score integer;
  v_grade text;
  v_rate numeric;
  v_fee numeric;
  v_installment numeric;
  v_total_interest numeric;
  v_total_paid numeric;
  v_payments numeric[];
  v_offer jsonb;
  v_rules jsonb;
  v_recommendation text;
  v_reasons text[];
begin
  select * into strict v_product from lending_private.product_version as v
   where v.product_id = evaluate_policy.product_id and v.version = evaluate_policy.version;
  select p.product_code into strict v_code from lending_private.product as p
   where p.product_id = evaluate_policy.product_id;

  v_missing := array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.policy_rule as r
              join lending_private.policy_measure as m on m.measure = r.measure
             where r.product_id = v_product.product_id and r.version = v_product.version) as f
     where coalesce(facts -> f.fact, 'null') = 'null'
     order by f.fact);

  v_score := lending_private.risk_score((facts ->> 'credit_score')::integer, (facts ->> 'income_verified')::boolean,
                                        (facts ->> 'months_employed')::integer);
  select g.grade into v_grade from lending_private.risk_grade as g
   where g.min_score <= v_score order by g.min_score desc limit 1;
  select r.annual_rate into v_rate from lending_private.product_rate as r
   where r.product_id = v_product.product_id and r.version = v_product.version and r.risk_grade = v_grade;

  if v_rate is not null and v_term between v_product.min_term_months and v_product.max_term_months
     and v_amount between v_product.min_amount and v_product.max_amount then
    select (array_agg(s.payment order by s.period))[1], sum(s.interest), sum(s.payment),
           array_agg(s.payment order by s.period)
      into v_installment, v_total_interest, v_total_paid, v_payments
      from lending_private.repayment_schedule(v_amount, v_rate, v_term, v_product.amortization) as s;
    v_fee := least(round(v_amount * v_product.origination_fee_percent / 100, 2),
                   coalesce(v_product.origination_fee_cap, v_amount));
    v_offer := jsonb_build_object(
      'product_code', v_code,
      'product_version', v_product.version,
      'amount', round(v_amount, 2)::text,
      'currency', facts ->> 'currency',
      'risk_grade', v_grade,
      'annual_rate', v_rate::text,
      'term_months', v_term,
      'amortization', v_product.amortization,
      'installment', v_installment::text,
      'total_interest', v_total_interest::text,
      'origination_fee', v_fee::text,
      'total_repayable', v_total_paid::text,
      'apr', case when v_amount > v_fee
                  then lending_private.annual_percentage_rate(v_amount - v_fee, v_payments)::text end,
      'valid_days', v_product.offer_valid_days);
  end if;

  with measured as (
    -- The product's limits, always first.
    select 0 as sort, 1 as position, 'product' as source, 'amount' as measure, '>=' as comparison,
           v_product.min_amount as threshold, v_amount as value, null::text as unmeasured,
           'amount_below_product_minimum' as reason_code, 'reject' as on_failure
    union all
    select 0, 2, 'product', 'amount', '<=', v_product.max_amount, v_amount, null,
           'amount_exceeds_product_limit', 'reject'
    union all
    select 0, 3, 'product', 'term_months', '>=', v_product.min_term_months, v_term,
           case when v_term is null then 'missing' end, 'term_outside_product_limits', 'reject'
    union all
    select 0, 4, 'product', 'term_months', '<=', v_product.max_term_months, v_term,
           case when v_term is null then 'missing' end, 'term_outside_product_limits', 'reject'
    union all
    select 1, r.position, 'policy', r.measure, r.comparison, r.threshold, m.value,
           case when exists (select from unnest(pm.needs_facts) as f(fact) where f.fact = any (v_missing))
                  then 'missing'
                when m.value is null then m.unmeasured end,
           r.reason_code, r.on_failure
      from lending_private.policy_rule as r
      join lending_private.policy_measure as pm on pm.measure = r.measure
      cross join lateral (select
          case r.measure
            when 'credit_score' then (facts ->> 'credit_score')::numeric
            when 'debt_to_income' then case when v_income > 0 and v_installment is not null
                                            then round((v_debt + v_installment) / (v_income / 12), 4) end
            when 'loan_to_income' then case when v_income > 0 then round(v_amount / v_income, 4) end
            when 'months_employed' then (facts ->> 'months_employed')::numeric
            when 'unverified_amount' then case when (facts ->> 'income_verified')::boolean then 0 else v_amount end
            when 'identity_verified' then case when (facts ->> 'identity_verified')::boolean then 1 else 0 end
          end as value,
          case when r.measure in ('debt_to_income', 'loan_to_income') and v_income = 0 then 'fail'
               else 'skipped' end as unmeasured) as m
     where r.product_id = v_product.product_id and r.version = v_product.version
  ),
  evaluated as (
    select m.*, coalesce(m.unmeasured, case
             when m.comparison = '>=' and m.value >= m.threshold then 'pass'
             when m.comparison = '<=' and m.value <= m.threshold then 'pass'
             else 'fail' end) as result
      from measured as m
  )
  select jsonb_agg(jsonb_build_object(
           'source', e.source, 'position', e.position, 'measure', e.measure, 'comparison', e.comparison,
           'threshold', e.threshold::text, 'value', e.value::text, 'result', e.result,
           'reason_code', e.reason_code, 'on_failure', e.on_failure) order by e.sort, e.position),
         case when bool_or(e.result = 'fail' and e.on_failure = 'reject') then 'reject'
              when bool_or(e.result in ('fail', 'missing')) then 'refer'
              else 'approve' end
    into v_rules, v_recommendation
    from evaluated as e;

  select array(
    select c.code
      from (select 'credit_application_incomplete' as code, 0 as rank
             where v_recommendation = 'refer' and cardinality(v_missing) > 0
            union all
            select r.rule ->> 'reason_code', case when r.rule ->> 'on_failure' = 'reject' then 1000 else 2000 end
                                             + r.n
              from jsonb_array_elements(v_rules) with ordinality as r(rule, n)
             where r.rule ->> 'result' = 'fail') as c
     group by c.code
     order by min(c.rank)
     limit 4) into v_reasons;

  return jsonb_build_object(
    'product_code', v_code,
    'product_version', v_product.version,
    'rules', v_rules,
    'missing_facts', to_jsonb(v_missing),
    'score', v_score,
    'risk_grade', v_grade,
    'recommendation', v_recommendation,
    'reason_codes', to_jsonb(v_reasons),
    'offer', v_offer);
end;
$$;
comment on function lending_private.evaluate_policy(jsonb, bigint, integer) is
  'Assesses facts (lending_private.application_facts) under a product version: rules, score, grade, recommendation, '
  'reasons and offer. Reads no clock and no randomness: the same inputs give the same result.';

-- db/src/underwriting/lending_private.product_json.sql
-- A product version as the API shows it. Money and rates are decimal strings, never JSON numbers; the rules are in
-- order of importance (position), as an assessment evaluates them.
create or replace function lending_private.product_json(product_id bigint, version integer)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select jsonb_build_object(
      'product_code', p.product_code,
      'version', v.version,
      'current_version', p.current_version,
      'name', v.name,
      'currency', v.currency,
      'min_amount', v.min_amount::text,
      'max_amount', v.max_amount::text,
      'min_term_months', v.min_term_months,
      'max_term_months', v.max_term_months,
      'amortization', v.amortization,
      'repayment_frequency', v.repayment_frequency,
      'rates', (select jsonb_object_agg(r.risk_grade, r.annual_rate::text order by r.risk_grade)
                  from lending_private.product_rate as r
                 where r.product_id = v.product_id and r.version = v.version),
      'origination_fee_percent', v.origination_fee_percent::text,
      'origination_fee_cap', v.origination_fee_cap::text,
      'late_fee_flat', v.late_fee_flat::text,
      'late_fee_percent', v.late_fee_percent::text,
      'grace_days', v.grace_days,
      'write_off_days', v.write_off_days,
      'offer_valid_days', v.offer_valid_days,
      'agent_approval_limit', v.agent_approval_limit::text,
      'requires_assessment', v.requires_assessment,
      'rules', (select coalesce(jsonb_agg(jsonb_build_object(
                        'position', r.position, 'measure', r.measure, 'comparison', r.comparison,
                        'threshold', r.threshold::text, 'reason_code', r.reason_code, 'on_failure', r.on_failure)
                        order by r.position), '[]')
                  from lending_private.policy_rule as r
                 where r.product_id = v.product_id and r.version = v.version),
      'created_by', v.created_by,
      'created_at', lending_private.json_time(v.created_at))
    from lending_private.product_version as v
    join lending_private.product as p on p.product_id = v.product_id
   where v.product_id = product_json.product_id and v.version = product_json.version);
end;
$$;
comment on function lending_private.product_json(bigint, integer) is
  'A product version with its rates by grade and its policy rules, as the API shows it.';

-- db/src/underwriting/lending_private.insert_product_version.sql
-- Writes a product version from a document that lending_private.product_errors found valid: the terms, a rate per
-- grade and the rules, positioned in the order given (the order of importance).
create or replace function lending_private.insert_product_version(product_id bigint, version integer, d jsonb)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into lending_private.product_version (
    product_id, version, name, currency, min_amount, max_amount, min_term_months, max_term_months, amortization,
    origination_fee_percent, origination_fee_cap, late_fee_flat, late_fee_percent, grace_days, write_off_days,
    offer_valid_days, agent_approval_limit, requires_assessment, created_by)
  values (
    product_id, version, d ->> 'name', d ->> 'currency', (d ->> 'min_amount')::numeric, (d ->> 'max_amount')::numeric,
    (d ->> 'min_term_months')::integer, (d ->> 'max_term_months')::integer, d ->> 'amortization',
    (d ->> 'origination_fee_percent')::numeric, (d ->> 'origination_fee_cap')::numeric,
    (d ->> 'late_fee_flat')::numeric, (d ->> 'late_fee_percent')::numeric, (d ->> 'grace_days')::integer,
    (d ->> 'write_off_days')::integer, (d ->> 'offer_valid_days')::integer,
    (d ->> 'agent_approval_limit')::numeric, (d ->> 'requires_assessment')::boolean,
    lending_private.current_actor());

  insert into lending_private.product_rate (product_id, version, risk_grade, annual_rate)
  select insert_product_version.product_id, insert_product_version.version, r.key, (r.value #>> '{}')::numeric
    from jsonb_each(d -> 'rates') as r;

  insert into lending_private.policy_rule (product_id, version, position, measure, comparison, threshold, reason_code,
                                           on_failure)
  select insert_product_version.product_id, insert_product_version.version, r.position, r.rule ->> 'measure',
         r.rule ->> 'comparison', (r.rule ->> 'threshold')::numeric, r.rule ->> 'reason_code', r.rule ->> 'on_failure'
    from jsonb_array_elements(d -> 'rules') with ordinality as r(rule, position);
end;
$$;
comment on function lending_private.insert_product_version(bigint, integer, jsonb) is
  'Writes a product version, its rates and its rules from a valid product document.';

-- db/src/underwriting/lending_private.make_offer.sql
-- Fixes the offer of an approval: the terms of the assessment the decision relied on, or, when it relied on none
-- (a product that needs no assessment), the product's terms in force at its grade E rate, the most cautious, for an
-- applicant with no grade. Valid for the product's offer_valid_days from now.
create or replace function lending_private.make_offer(decision lending_private.decision)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_application lending_private.application;
  v_offer jsonb;
  v_product lending_private.product;
  v_version lending_private.product_version;
  v_rate numeric;
  v_installment numeric;
  v_total_interest numeric;
  v_total_paid numeric;
  v_payments numeric[];
  v_fee numeric;
begin
  select * into strict v_application from lending_private.application as a
   where a.application_id = decision.application_id;
  select s.offer into v_offer from lending_private.assessment as s where s.assessment_id = decision.assessment_id;
  if v_offer is null then
    select * into strict v_product from lending_private.product as p where p.product_code = v_application.product_code;
    select * into strict v_version from lending_private.product_version as v
     where v.product_id = v_product.product_id and v.version = v_product.current_version;
    select r.annual_rate into strict v_rate from lending_private.product_rate as r
     where r.product_id = v_version.product_id and r.version = v_version.version and r.risk_grade = 'E';
    v_fee := least(round(v_application.amount * v_version.origination_fee_percent / 100, 2),
                   coalesce(v_version.origination_fee_cap, v_application.amount));
    if v_application.term_months is not null then
      select (array_agg(s.payment order by s.period))[1], sum(s.interest), sum(s.payment),
             array_agg(s.payment order by s.period)
        into v_installment, v_total_interest, v_total_paid, v_payments
        from lending_private.repayment_schedule(v_application.amount, v_rate, v_application.term_months,
                                                v_version.amortization) as s;
    end if;
    v_offer := jsonb_build_object(
      'product_code', v_application.product_code, 'product_version', v_version.version,
      'amount', v_application.amount::text, 'currency', v_application.currency, 'risk_grade', null,
      'annual_rate', v_rate::text, 'term_months', v_application.term_months, 'amortization', v_version.amortization,
      'installment', v_installment::text, 'total_interest', v_total_interest::text, 'origination_fee', v_fee::text,
      'total_repayable', v_total_paid::text,
      'apr', case when v_payments is not null and v_application.amount > v_fee
                  then lending_private.annual_percentage_rate(v_application.amount - v_fee, v_payments)::text end,
      'valid_days', v_version.offer_valid_days);
  end if;

  insert into lending_private.offer (
    application_id, decision_id, assessment_id, product_code, product_version, amount, currency, risk_grade,
    annual_rate, term_months, amortization, installment, total_interest, origination_fee, total_repayable, apr,
    expires_at)
  values (
    decision.application_id, decision.decision_id, decision.assessment_id, v_offer ->> 'product_code',
    (v_offer ->> 'product_version')::integer, (v_offer ->> 'amount')::numeric, v_offer ->> 'currency',
    v_offer ->> 'risk_grade', (v_offer ->> 'annual_rate')::numeric, (v_offer ->> 'term_months')::integer,
    v_offer ->> 'amortization', (v_offer ->> 'installment')::numeric, (v_offer ->> 'total_interest')::numeric,
    (v_offer ->> 'origination_fee')::numeric, (v_offer ->> 'total_repayable')::numeric,
    (v_offer ->> 'apr')::numeric, now() + make_interval(days => (v_offer ->> 'valid_days')::integer));
end;
$$;
comment on function lending_private.make_offer(lending_private.decision) is
  'Fixes the offer of an approval from its assessment, or from the product''s terms at grade E without one.';

-- db/src/underwriting/lending_private.fail_offer_not_found.sql
-- Applications approved before offers existed have none: there is nothing to accept or decline.
create or replace function lending_private.fail_offer_not_found(application_id bigint)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail('not_found', format('Application %s has no offer', application_id),
                               jsonb_build_object('resource', 'offer', 'application_id', application_id));
end;
$$;
comment on function lending_private.fail_offer_not_found(bigint) is 'Raises not_found for the offer of an application.';

-- db/src/underwriting/lending.list_products.sql
create or replace function lending.list_products(actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
begin
  return jsonb_build_object('items', (
    select coalesce(jsonb_agg(lending_private.product_json(p.product_id, p.current_version) order by p.product_code),
                    '[]')
      from lending_private.product as p));
end;
$$;
comment on function lending.list_products(text) is
$$Lists every loan product in its current version, by code.

Returns: {items: [product]}: each with its terms, its rate by risk grade and its policy rules.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_products(text) to lending_api;

-- db/src/underwriting/lending.get_product.sql
create or replace function lending.get_product(product_code text, version integer default null, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
  v_product lending_private.product;
begin
  select * into v_product from lending_private.product as p where p.product_code = get_product.product_code;
  if not found or not exists (select from lending_private.product_version as v
                               where v.product_id = v_product.product_id
                                 and v.version = coalesce(get_product.version, v_product.current_version)) then
    perform lending_private.fail(
      'not_found',
      case when v_product.product_id is null then format('No product has code %L', product_code)
           else format('Product %s has no version %s', product_code, version) end,
      jsonb_build_object('resource', 'product', 'product_code', product_code, 'version', version));
  end if;
  return lending_private.product_json(v_product.product_id, coalesce(version, v_product.current_version));
end;
$$;
comment on function lending.get_product(text, integer, text) is
$$Reads a loan product: its current version, or the version named.

Versions never change, so an assessment or an offer can always be read against the terms it was made under.
Returns: product (with version and current_version).
Errors: validation_failed, not_found, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.get_product(text, integer, text) to lending_api;

-- db/src/underwriting/lending.create_product.sql
-- The product is written through one document, whatever made it (these parameters, or update_product's merge
-- patch): lending_private.product_errors checks it and lending_private.insert_product_version writes it.
create or replace function lending.create_product(
  product_code text,
  name text,
  min_amount numeric,
  max_amount numeric,
  min_term_months integer,
  max_term_months integer,
  rates jsonb,
  agent_approval_limit numeric,
  currency text default null,
  amortization text default 'annuity',
  requires_assessment boolean default true,
  rules jsonb default '[]',
  origination_fee_percent numeric default 0,
  origination_fee_cap numeric default null,
  late_fee_flat numeric default 0,
  late_fee_percent numeric default 0,
  grace_days integer default 5,
  write_off_days integer default 180,
  offer_valid_days integer default 30,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('manage_products', actor, request_id);
  v_document jsonb := jsonb_build_object(
    'product_code', product_code, 'name', name, 'currency', currency, 'min_amount', min_amount,
    'max_amount', max_amount, 'min_term_months', min_term_months, 'max_term_months', max_term_months,
    'amortization', amortization, 'origination_fee_percent', origination_fee_percent,
    'origination_fee_cap', origination_fee_cap, 'late_fee_flat', late_fee_flat, 'late_fee_percent', late_fee_percent,
    'grace_days', grace_days, 'write_off_days', write_off_days, 'offer_valid_days', offer_valid_days,
    'agent_approval_limit', agent_approval_limit, 'requires_assessment', requires_assessment, 'rates', rates,
    'rules', rules);
  v_replay jsonb;
  v_product_id bigint;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'create_product', v_document);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(
    array[lending_private.field_error('product_code', case
      when product_code is null then 'is required'
      when product_code !~ '^[a-z][a-z0-9_]{1,49}$'
        then 'must be 2-50 lower-case letters, digits or _, starting with a letter' end)]
    || lending_private.product_errors(v_document));

  insert into lending_private.product (product_code) values (product_code)
  on conflict on constraint product_code_is_unique do nothing
  returning product_id into v_product_id;
  if v_product_id is null then
    perform lending_private.fail('product_exists', format('A product with code %L exists already', product_code),
                                 jsonb_build_object('product_code', product_code));
  end if;
  perform lending_private.insert_product_version(v_product_id, 1, v_document);

  return lending_private.idempotency_complete(idempotency_key, 'create_product', v_document, jsonb_build_object(
    'status', 201, 'body', lending_private.product_json(v_product_id, 1)));
end;
$$;
comment on function lending.create_product(text, text, numeric, numeric, integer, integer, jsonb, numeric, text, text, boolean, jsonb, numeric, numeric, numeric, numeric, integer, integer, integer, text, text, text) is
$$Creates a loan product, as its version 1.

product_code is 2-50 of a-z, 0-9 and _, starting with a letter. Amounts are 0.01-10000000.00 with min <= max; terms
1-480 months with min <= max; rates is an object with a nominal annual rate in percent (0-100, at most 4
decimals) for each risk grade A-E; amortization is annuity or equal_principal (monthly repayments). currency null
lends in the application's currency. origination_fee_percent (0-50) of the amount, at most origination_fee_cap, is
the fee taken from the principal. requires_assessment true means no approval without a current assessment;
agent_approval_limit is the amount above which an approval waits for a second person. rules is an ordered array
(most important first) of {measure, comparison (>= or <=), threshold, reason_code, on_failure (reject or refer)};
measures: credit_score, debt_to_income, loan_to_income, months_employed, unverified_amount, identity_verified.
Returns: {status: 201, body: product, replayed}.
Errors: validation_failed, product_exists, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.create_product(text, text, numeric, numeric, integer, integer, jsonb, numeric, text, text, boolean, jsonb, numeric, numeric, numeric, numeric, integer, integer, integer, text, text, text) to lending_api;

-- db/src/underwriting/lending.update_product.sql
-- A change is a new version: the current version's document, merge-patched (RFC 7396, one level: rates and rules
-- are replaced whole), checked as create_product checks, and written. Versions already written never change, so
-- assessments and offers made under them keep their terms.
create or replace function lending.update_product(
  product_code text,
  changes jsonb,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('manage_products', actor, request_id);
  v_request jsonb := jsonb_build_object('product_code', product_code, 'changes', changes,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_product lending_private.product;
  v_current jsonb;
  v_document jsonb;
  v_unknown text[];
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'update_product', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select * into v_product from lending_private.product as p where p.product_code = update_product.product_code
     for update;
  if not found then
    perform lending_private.fail('not_found', format('No product has code %L', product_code),
                                 jsonb_build_object('resource', 'product', 'product_code', product_code));
  end if;
  if expected_version is not null and expected_version <> v_product.current_version then
    perform lending_private.fail(
      'version_conflict',
      format('Product %s is at version %s, not %s', product_code, v_product.current_version, expected_version),
      jsonb_build_object('product_code', product_code, 'expected_version', expected_version,
                         'current_version', v_product.current_version));
  end if;

  v_current := lending_private.product_json(v_product.product_id, v_product.current_version);
  if changes is null or jsonb_typeof(changes) <> 'object' then
    perform lending_private.fail_if_invalid(array[lending_private.field_error('changes', 'must be an object')]);
  end if;
  v_unknown := array(select k from jsonb_object_keys(changes) as k
                      where k not in (select jsonb_object_keys(v_current))
                         or k in ('product_code', 'version', 'current_version', 'repayment_frequency', 'created_by',
                                  'created_at')
                      order by k);
  perform lending_private.fail_if_invalid(array(
    select lending_private.field_error(k, 'cannot be changed: it is not a product term') from unnest(v_unknown) as k));

  -- The rules as stored carry their position, which the order of the array gives on the way in.
  v_current := jsonb_set(v_current, '{rules}', (select coalesce(jsonb_agg(r - 'position'), '[]')
                                                  from jsonb_array_elements(v_current -> 'rules') as r));
  v_document := jsonb_strip_nulls(v_current || changes) ;
  perform lending_private.fail_if_invalid(lending_private.product_errors(v_document));

  update lending_private.product as p set current_version = p.current_version + 1, updated_at = now()
   where p.product_id = v_product.product_id
  returning * into v_product;
  perform lending_private.insert_product_version(v_product.product_id, v_product.current_version, v_document);

  return lending_private.idempotency_complete(idempotency_key, 'update_product', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.product_json(v_product.product_id, v_product.current_version)));
end;
$$;
comment on function lending.update_product(text, jsonb, integer, text, text, text) is
$$Changes a loan product by making its next version.

changes is a JSON merge patch over the product's terms (create_product's fields but product_code): a field given
replaces the current one, null clears an optional one (currency, origination_fee_cap), an absent one stays; rates
and rules, when given, replace the whole set. The result is checked as create_product checks a new product. With
expected_version the call fails unless the product's current version is that one. Earlier versions, and every
assessment and offer made under them, are unchanged.
Returns: {status: 200, body: product (the new version), replayed}.
Errors: validation_failed, not_found, version_conflict, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.update_product(text, jsonb, integer, text, text, text) to lending_api;

-- db/src/underwriting/lending.list_reason_codes.sql
create or replace function lending.list_reason_codes(actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
begin
  return jsonb_build_object('items', (
    select jsonb_agg(jsonb_build_object('code', r.code, 'text', r.notice_text, 'requires_text', r.requires_text)
                     order by r.position)
      from lending_private.adverse_reason as r));
end;
$$;
comment on function lending.list_reason_codes(text) is
$$Lists the reason codes a decision may give, with the words an adverse action notice shows for each.

Modelled on the sample reasons of Regulation B form C-1. A rejection gives 1-4 of them, most important first;
`other` (requires_text) shows the decision's reason as its text.
Returns: {items: [{code, text, requires_text}]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_reason_codes(text) to lending_api;

-- db/src/underwriting/lending.assess_application.sql
create or replace function lending.assess_application(
  application_id bigint,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('assess', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id);
  v_replay jsonb;
  v_application lending_private.application;
  v_product lending_private.product;
  v_facts jsonb;
  v_result jsonb;
  v_assessment lending_private.assessment;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'assess', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  -- Locked, so that the facts assessed are the ones a concurrent update_application would otherwise be changing.
  v_application := lending_private.lock_application(application_id, null);
  if v_application.status not in ('pending', 'manual_review') then
    perform lending_private.fail(
      'not_in_underwriting',
      format('Application %s is %s: only a pending or manual_review application can be assessed', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into strict v_product from lending_private.product as p where p.product_code = v_application.product_code;
  v_facts := lending_private.application_facts(v_application);
  v_result := lending_private.evaluate_policy(v_facts, v_product.product_id, v_product.current_version);

  insert into lending_private.assessment (
    application_id, product_id, product_version, facts, rules, missing_facts, score, risk_grade, recommendation,
    reason_codes, offer, assessed_by, request_id)
  values (
    application_id, v_product.product_id, v_product.current_version, v_facts, v_result -> 'rules',
    array(select jsonb_array_elements_text(v_result -> 'missing_facts')), (v_result ->> 'score')::smallint,
    v_result ->> 'risk_grade', v_result ->> 'recommendation',
    array(select jsonb_array_elements_text(v_result -> 'reason_codes')), v_result -> 'offer',
    lending_private.current_actor(), lending_private.current_request_id())
  returning * into v_assessment;

  return lending_private.idempotency_complete(idempotency_key, 'assess', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.assessment_json(v_assessment)));
end;
$$;
comment on function lending.assess_application(bigint, text, text, text) is
$$Assesses an application under its product's current version and keeps the assessment.

Evaluates the product's limits and policy rules against the application's facts, in order of importance, and
records each rule's measured value, threshold and result; a score and risk grade (A-E); the recommendation
(approve, reject or refer) with its reason codes, most important first, at most four; and the offer an approval
would fix (rate from the grade, installment, total interest, origination fee, APR by Regulation Z Appendix J).
Missing facts give refer with credit_application_incomplete and missing_facts. The evaluation reads no clock and no
randomness: the same facts and product version give the same assessment. Assessing again after the facts change
makes a new assessment; decisions rely on the latest. Only pending and manual_review applications are assessed.
Returns: {status: 201, body: assessment, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_underwriting, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.assess_application(bigint, text, text, text) to lending_api;

-- db/src/underwriting/lending.review_queue.sql
-- Oldest first by filing order, which the status index reads backwards; a page is at most 100 applications.
create or replace function lending.review_queue(
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('claim_review', actor, null);
  v_after_id text := substring(lending_private.cursor_text(after) from '^[1-9][0-9]{0,18}$');
  v_after bigint := case when v_after_id::numeric <= 9223372036854775807 then v_after_id::bigint end;
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id) into v_ids
    from (select a.application_id from lending_private.application as a
           where a.status = 'manual_review' and (v_after is null or a.application_id > v_after)
           order by a.application_id
           limit "limit" + 1) as a;
  if cardinality(v_ids) > "limit" then
    v_next := encode(convert_to(v_ids["limit"]::text, 'UTF8'), 'base64');
    v_ids := v_ids[1:"limit"];
  end if;

  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(
                  lending_private.application_json(i.id, false)
                  || jsonb_build_object(
                       'assessment', (select lending_private.assessment_json(s) from lending_private.assessment as s
                                       where s.application_id = i.id order by s.assessment_id desc limit 1),
                       'claim', (select lending_private.review_claim_json(c) from lending_private.review_claim as c
                                  where c.application_id = i.id and c.expires_at > now()
                                  order by c.claim_id desc limit 1))
                  order by i.id), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.review_queue(integer, text, text) is
$$Lists the applications waiting in manual_review, oldest first, with their latest assessment and current claim.

limit is 1-100 (default 50); after is the next_cursor of the previous page. claim is null when nobody holds an
unexpired claim: claim the application (claim_review) before deciding it.
Returns: {items: [application with assessment and claim], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.review_queue(integer, text, text) to lending_api;

-- db/src/underwriting/lending.claim_review.sql
-- Two reviewers claiming at once queue on the application's row lock; the second then finds the first's claim and
-- is refused. Claiming again what one holds renews the claim.
create or replace function lending.claim_review(
  application_id bigint,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('claim_review', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id);
  v_replay jsonb;
  v_application lending_private.application;
  v_held lending_private.review_claim;
  v_claim lending_private.review_claim;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'claim_review', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  v_application := lending_private.lock_application(application_id, null);
  if v_application.status <> 'manual_review' then
    perform lending_private.fail(
      'not_in_review',
      format('Application %s is %s: only an application in manual_review can be claimed', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into v_held from lending_private.review_claim as c
   where c.application_id = claim_review.application_id order by c.claim_id desc limit 1;
  if v_held.expires_at > now() and v_held.claimed_by <> lending_private.current_actor() then
    perform lending_private.fail(
      'review_claimed',
      format('Application %s is claimed by %s until %s', application_id, v_held.claimed_by,
             lending_private.json_time(v_held.expires_at)),
      jsonb_build_object('application_id', application_id, 'claimed_by', v_held.claimed_by,
                         'expires_at', lending_private.json_time(v_held.expires_at)));
  end if;

  insert into lending_private.review_claim (application_id, claimed_by, expires_at, request_id)
  values (application_id, lending_private.current_actor(),
          now() + make_interval(secs => lending_private.setting_value('review_claim_seconds')::integer),
          lending_private.current_request_id())
  returning * into v_claim;

  return lending_private.idempotency_complete(idempotency_key, 'claim_review', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.review_claim_json(v_claim)));
end;
$$;
comment on function lending.claim_review(bigint, text, text, text) is
$$Claims an application in manual_review for the calling reviewer, for a limited time.

Deciding an application in manual_review needs an unexpired claim of one's own on it. A claim lasts the setting
review_claim_seconds (30 minutes unless changed) and then lapses; claiming again what one holds renews it. Two
reviewers claiming at once get one claim: the other is refused with review_claimed.
Returns: {status: 201, body: {claim_id, application_id, claimed_by, claimed_at, expires_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, not_in_review, review_claimed, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.claim_review(bigint, text, text, text) to lending_api;

-- db/src/underwriting/lending.confirm_decision.sql
-- Four-eyes. Two reviewers answering at once queue on the application's row lock; the second finds the application
-- no longer pending_confirmation and is refused (and the unique key on the decision would refuse a second answer
-- written around this function).
create or replace function lending.confirm_decision(
  application_id bigint,
  confirm boolean,
  reason text default null,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('confirm_decision', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'confirm', confirm, 'reason', reason,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision lending_private.decision;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'confirm_decision', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('confirm', case when confirm is null then 'is required' end),
    lending_private.field_error('reason', case
      when confirm is false and reason is null then 'is required to decline: say what the first reviewer should change'
      else lending_private.text_error(reason, 2000) end)]);

  v_application := lending_private.lock_application(application_id, expected_version);
  if v_application.status <> 'pending_confirmation' then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s is %s: only a decision waiting in pending_confirmation can be confirmed or declined',
             application_id, v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status,
                         'requested_status', case when confirm then 'approved' else 'manual_review' end,
                         'allowed', lending_private.next_statuses(v_application.status)));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = confirm_decision.application_id order by d.decision_id desc limit 1;
  if v_decision.decided_by = lending_private.current_actor() then
    perform lending_private.fail(
      'own_decision',
      format('%s made decision %s and cannot confirm or decline it: another reviewer must',
             v_decision.decided_by, v_decision.decision_id),
      jsonb_build_object('application_id', application_id, 'decision_id', v_decision.decision_id,
                         'decided_by', v_decision.decided_by));
  end if;

  insert into lending_private.confirmation (application_id, decision_id, confirmed, reason, confirmed_by, request_id)
  values (application_id, v_decision.decision_id, confirm, reason, lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = case when confirm then 'approved' else 'manual_review' end
   where a.application_id = confirm_decision.application_id;
  if confirm then
    perform lending_private.make_offer(v_decision);
  end if;

  return lending_private.idempotency_complete(idempotency_key, 'confirm_decision', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.confirm_decision(bigint, boolean, text, integer, text, text, text) is
$$Confirms or declines, as a second reviewer, an approval waiting in pending_confirmation (four-eyes).

confirm true approves the application and fixes its offer; confirm false sends it back to manual_review and needs
reason (1-2000 characters), which the decision's confirmation keeps. The reviewer who made the decision cannot
answer it (own_decision). Two reviewers answering at once give one answer; the other is refused.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, own_decision, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.confirm_decision(bigint, boolean, text, integer, text, text, text) to lending_api;

-- db/src/underwriting/lending.accept_offer.sql
-- An acceptance after the offer's expiry is refused, and yet it changes something that must stay: the application
-- becomes offer_expired. A raised error would roll that back, so the refusal is returned as data instead: the
-- envelope's `problem` (status 409, code offer_expired), which the HTTP and MCP faces answer as any other problem,
-- and which an idempotency key replays.
create or replace function lending.accept_offer(
  application_id bigint,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('accept_offer', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_offer lending_private.offer;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'accept_offer', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'offer_accepted');
  select * into v_offer from lending_private.offer as o
   where o.application_id = accept_offer.application_id order by o.offer_id desc limit 1;
  if v_offer.offer_id is null then
    perform lending_private.fail_offer_not_found(application_id);
  end if;

  if v_offer.expires_at <= now() then
    insert into lending_private.offer_response (offer_id, application_id, response, recorded_by, request_id)
    values (v_offer.offer_id, application_id, 'expired', lending_private.current_actor(),
            lending_private.current_request_id());
    update lending_private.application as a set status = 'offer_expired'
     where a.application_id = accept_offer.application_id;
    return lending_private.idempotency_complete(idempotency_key, 'accept_offer', v_request, jsonb_build_object(
      'status', 409,
      'problem', jsonb_build_object(
        'code', 'offer_expired',
        'title', (select e.title from lending_private.error_code as e where e.code = 'offer_expired'),
        'detail', format('The offer on application %s expired at %s; the application is now offer_expired',
                         application_id, lending_private.json_time(v_offer.expires_at)),
        'application_id', application_id, 'offer_id', v_offer.offer_id,
        'expires_at', lending_private.json_time(v_offer.expires_at), 'current_status', 'offer_expired')));
  end if;

  insert into lending_private.offer_response (offer_id, application_id, response, recorded_by, request_id)
  values (v_offer.offer_id, application_id, 'accepted', lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = 'offer_accepted'
   where a.application_id = accept_offer.application_id;
  return lending_private.idempotency_complete(idempotency_key, 'accept_offer', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.accept_offer(bigint, integer, text, text, text) is
$$Accepts, on the borrower's behalf, the offer of an approved application (-> offer_accepted).

The offer's terms are the ones fixed at approval. After the offer's expires_at the acceptance is refused and the
application moves to offer_expired, for good: the envelope then has status 409 and a `problem` (code
offer_expired) instead of a body. With expected_version the call fails unless the application is at that version.
Returns: {status: 200, body: application, replayed}, or {status: 409, problem, replayed} when the offer expired.
Errors: validation_failed, not_found, version_conflict, invalid_transition, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.accept_offer(bigint, integer, text, text, text) to lending_api;

-- db/src/underwriting/lending.decline_offer.sql
create or replace function lending.decline_offer(
  application_id bigint,
  reason text default null,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('decline_offer', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'reason', reason,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_application lending_private.application;
  v_offer_id bigint;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decline_offer', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('reason', lending_private.text_error(reason, 2000))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, 'offer_declined');
  select o.offer_id into v_offer_id from lending_private.offer as o
   where o.application_id = decline_offer.application_id order by o.offer_id desc limit 1;
  if v_offer_id is null then
    perform lending_private.fail_offer_not_found(application_id);
  end if;
  insert into lending_private.offer_response (offer_id, application_id, response, reason, recorded_by, request_id)
  values (v_offer_id, application_id, 'declined', reason, lending_private.current_actor(),
          lending_private.current_request_id());
  update lending_private.application as a set status = 'offer_declined'
   where a.application_id = decline_offer.application_id;
  return lending_private.idempotency_complete(idempotency_key, 'decline_offer', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.application_json(application_id)));
end;
$$;
comment on function lending.decline_offer(bigint, text, integer, text, text, text) is
$$Declines, on the borrower's behalf, the offer of an approved application (-> offer_declined, final).

reason is optional, at most 2000 characters. With expected_version the call fails unless the application is at
that version.
Returns: {status: 200, body: application, replayed}.
Errors: validation_failed, not_found, version_conflict, invalid_transition, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.decline_offer(bigint, text, integer, text, text, text) to lending_api;

-- db/src/underwriting/lending.adverse_action_notice.sql
-- The notice a rejected applicant is owed (Regulation B, 12 CFR 1002.9): the action taken, its date, and the
-- principal reasons in plain words, most important first. When a credit score was part of the assessment the
-- decision relied on, the notice discloses it, its range, source and date (as the Fair Credit Reporting Act asks
-- of a notice based on a score). Dates are UTC days.
create or replace function lending.adverse_action_notice(application_id bigint, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_application lending_private.application;
  v_decision lending_private.decision;
  v_assessment lending_private.assessment;
begin
  select * into v_application from lending_private.application as a
   where a.application_id = adverse_action_notice.application_id;
  if not found then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  if v_application.status <> 'rejected' then
    perform lending_private.fail(
      'no_adverse_action',
      format('Application %s is %s: only a rejected application has an adverse action notice', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = adverse_action_notice.application_id and d.outcome = 'rejected'
   order by d.decision_id desc limit 1;
  select * into v_assessment from lending_private.assessment as s where s.assessment_id = v_decision.assessment_id;

  return jsonb_build_object(
    'application_id', application_id,
    'decision_id', v_decision.decision_id,
    'applicant_name', (select p.name from lending_private.party as p where p.party_id = v_application.applicant_id),
    'action', 'Your application for credit was denied.',
    'amount', round(v_application.amount, 2)::text,
    'currency', v_application.currency,
    'action_date', to_char(v_decision.decided_at at time zone 'UTC', 'YYYY-MM-DD'),
    'principal_reasons', lending_private.decision_json(v_decision) -> 'reasons',
    'credit_score', case when v_assessment.facts ->> 'credit_score' is not null then jsonb_build_object(
      'score', (v_assessment.facts ->> 'credit_score')::integer, 'range', '300-850',
      'source', v_assessment.facts ->> 'credit_score_source', 'date', v_assessment.facts ->> 'credit_score_date') end,
    'statement', 'The federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit '
                 'applicants on the basis of race, color, religion, national origin, sex, marital status, age '
                 '(provided the applicant has the capacity to enter into a binding contract); because all or part '
                 'of the applicant''s income derives from any public assistance program; or because the applicant '
                 'has in good faith exercised any right under the Consumer Credit Protection Act.',
    'deliveries', (select coalesce(jsonb_agg(jsonb_build_object(
                                     'delivery_id', n.delivery_id, 'channel', n.channel, 'recorded_by', n.recorded_by,
                                     'sent_at', lending_private.json_time(n.sent_at)) order by n.delivery_id), '[]')
                     from lending_private.notice_delivery as n
                    where n.application_id = adverse_action_notice.application_id
                      and n.decision_id = v_decision.decision_id));
end;
$$;
comment on function lending.adverse_action_notice(bigint, text) is
$$The adverse action notice of a rejected application: the action, its date and the principal reasons in words.

principal_reasons are the rejection's reason codes with the words of each, most important first (other shows
the decision's reason). credit_score is disclosed (score, range, source, date) when the assessment the decision
relied on used one. deliveries lists each time the notice was recorded as sent (record_notice_sent).
Returns: notice.
Errors: validation_failed, not_found, no_adverse_action, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.adverse_action_notice(bigint, text) to lending_api;

-- db/src/underwriting/lending.record_notice_sent.sql
create or replace function lending.record_notice_sent(
  application_id bigint,
  channel text,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb := jsonb_build_object('application_id', application_id, 'channel', channel);
  v_replay jsonb;
  v_application lending_private.application;
  v_decision_id bigint;
  v_delivery lending_private.notice_delivery;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'record_notice_sent', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[lending_private.field_error('channel', case
    when channel is null then 'is required'
    when channel not in ('email', 'post', 'in_app', 'sms') then 'must be one of email, post, in_app, sms' end)]);

  v_application := lending_private.lock_application(application_id, null);
  if v_application.status <> 'rejected' then
    perform lending_private.fail(
      'no_adverse_action',
      format('Application %s is %s: only a rejected application has an adverse action notice', application_id,
             v_application.status),
      jsonb_build_object('application_id', application_id, 'current_status', v_application.status));
  end if;
  select d.decision_id into strict v_decision_id from lending_private.decision as d
   where d.application_id = record_notice_sent.application_id and d.outcome = 'rejected'
   order by d.decision_id desc limit 1;
  insert into lending_private.notice_delivery (application_id, decision_id, channel, recorded_by, request_id)
  values (application_id, v_decision_id, channel, lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_delivery;

  return lending_private.idempotency_complete(idempotency_key, 'record_notice_sent', v_request, jsonb_build_object(
    'status', 201, 'body', jsonb_build_object(
      'delivery_id', v_delivery.delivery_id, 'application_id', v_delivery.application_id,
      'decision_id', v_delivery.decision_id, 'channel', v_delivery.channel, 'recorded_by', v_delivery.recorded_by,
      'sent_at', lending_private.json_time(v_delivery.sent_at))));
end;
$$;
comment on function lending.record_notice_sent(bigint, text, text, text, text) is
$$Records that the adverse action notice of a rejected application was sent, and by which channel.

channel is email, post, in_app or sms. Each call records one delivery (a notice may be sent again); use an
idempotency key to make a retry safe.
Returns: {status: 201, body: {delivery_id, application_id, decision_id, channel, recorded_by, sent_at}, replayed}.
Errors: validation_failed, not_found, version_conflict, no_adverse_action, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.record_notice_sent(bigint, text, text, text, text) to lending_api;

-- db/src/events/lending_private.record_application_event.sql
-- One trigger names every change of an application: application.filed when it is inserted, application.decided
-- when a decision moves its status (with the decision that moved it, if any: a decision needing confirmation moves it to
-- pending_confirmation), application.decision_confirmed or application.decision_declined when a second reviewer
-- answers, application.offer_accepted, offer_declined or offer_expired, application.withdrawn, and
-- application.updated when only its facts change. It writes the event itself, rather than through a helper:
-- a PL/pgSQL call with its own search_path to set and restore, once per change.
create or replace function lending_private.record_application_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_event_type text;
  v_payload jsonb := jsonb_build_object('status', new.status, 'version', new.version);
begin
  if tg_op = 'INSERT' then
    v_event_type := 'application.filed';
  elsif new.status is distinct from old.status then
    v_payload := v_payload || jsonb_build_object('previous_status', old.status);
    v_event_type := case
      when new.status = 'withdrawn' then 'application.withdrawn'
      when old.status = 'pending_confirmation' and new.status = 'approved' then 'application.decision_confirmed'
      when old.status = 'pending_confirmation' and new.status = 'manual_review' then 'application.decision_declined'
      when new.status in ('offer_accepted', 'offer_declined', 'offer_expired') then 'application.' || new.status
      else 'application.decided' end;
    if v_event_type in ('application.decided', 'application.decision_confirmed', 'application.decision_declined') then
      v_payload := v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes),
                                               'requires_confirmation', d.requires_confirmation)
                       from lending_private.decision as d
                      where d.application_id = new.application_id
                        and d.outcome = case when new.status = 'pending_confirmation'
                                               or old.status = 'pending_confirmation' then 'approved'
                                             else new.status end
                      order by d.decision_id desc limit 1));
    end if;
  elsif new is distinct from old then
    v_event_type := 'application.updated';
  else
    return null;
  end if;
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (new.application_id, v_event_type, v_payload, lending_private.current_actor(),
          lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
  return null;
end;
$$;
comment on function lending_private.record_application_event() is
  'Trigger: appends application.filed, application.decided, application.withdrawn or application.updated.';

-- db/src/events/lending_private.record_row_event.sql
-- The event of a row that hangs off an application (an assessment, a review claim, a notice delivery): its type is
-- the trigger's first argument and its payload the row's columns the other arguments name. TimeZone is UTC so that a
-- timestamp in the payload reads the same whoever wrote it.
create or replace function lending_private.record_row_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
as $$
declare
  v_row jsonb := to_jsonb(new);
  v_payload jsonb := '{}';
begin
  for i in 1 .. tg_nargs - 1 loop
    v_payload := v_payload || jsonb_build_object(tg_argv[i], v_row -> tg_argv[i]);
  end loop;
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (new.application_id, tg_argv[0], v_payload, lending_private.current_actor(),
          lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
  return null;
end;
$$;
comment on function lending_private.record_row_event() is
  'Trigger: appends the event named by its first argument, with the row''s columns the others name as its payload.';

-- And the rows that hang off an application without changing it.
create trigger _800_event after insert on lending_private.assessment
  for each row execute function lending_private.record_row_event('application.assessed', 'assessment_id',
                                                                 'recommendation', 'risk_grade', 'reason_codes');
create trigger _800_event after insert on lending_private.review_claim
  for each row execute function lending_private.record_row_event('application.review_claimed', 'claim_id',
                                                                 'claimed_by', 'expires_at');
create trigger _800_event after insert on lending_private.notice_delivery
  for each row execute function lending_private.record_row_event('application.notice_sent', 'delivery_id',
                                                                 'decision_id', 'channel');

reset role;

-- migrate:down
set local role lending_owner;

drop trigger _800_event on lending_private.assessment;
drop trigger _800_event on lending_private.review_claim;
drop trigger _800_event on lending_private.notice_delivery;

-- db/src/events/lending_private.record_row_event.sql
drop function lending_private.record_row_event();

-- db/src/events/lending_private.record_application_event.sql
-- One trigger names every change of an application: application.filed when it is inserted, application.decided
-- when its status moves to a decision's outcome (with the decision that moved it, if any), application.withdrawn,
-- and application.updated when only its facts change. It writes the event itself, rather than through a helper:
-- a PL/pgSQL call with its own search_path to set and restore, once per change.
create or replace function lending_private.record_application_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_event_type text;
  v_payload jsonb := jsonb_build_object('status', new.status, 'version', new.version);
begin
  if tg_op = 'INSERT' then
    v_event_type := 'application.filed';
  elsif new.status is distinct from old.status then
    v_payload := v_payload || jsonb_build_object('previous_status', old.status);
    if new.status = 'withdrawn' then
      v_event_type := 'application.withdrawn';
    else
      v_event_type := 'application.decided';
      v_payload := v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes))
                       from lending_private.decision as d
                      where d.application_id = new.application_id and d.outcome = new.status
                      order by d.decision_id desc limit 1));
    end if;
  elsif new is distinct from old then
    v_event_type := 'application.updated';
  else
    return null;
  end if;
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (new.application_id, v_event_type, v_payload, lending_private.current_actor(),
          lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
  return null;
end;
$$;
comment on function lending_private.record_application_event() is
  'Trigger: appends application.filed, application.decided, application.withdrawn or application.updated.';

-- db/src/underwriting/lending.record_notice_sent.sql
drop function lending.record_notice_sent(bigint, text, text, text, text);

-- db/src/underwriting/lending.adverse_action_notice.sql
drop function lending.adverse_action_notice(bigint, text);

-- db/src/underwriting/lending.decline_offer.sql
drop function lending.decline_offer(bigint, text, integer, text, text, text);

-- db/src/underwriting/lending.accept_offer.sql
drop function lending.accept_offer(bigint, integer, text, text, text);

-- db/src/underwriting/lending.confirm_decision.sql
drop function lending.confirm_decision(bigint, boolean, text, integer, text, text, text);

-- db/src/underwriting/lending.claim_review.sql
drop function lending.claim_review(bigint, text, text, text);

-- db/src/underwriting/lending.review_queue.sql
drop function lending.review_queue(integer, text, text);

-- db/src/underwriting/lending.assess_application.sql
drop function lending.assess_application(bigint, text, text, text);

-- db/src/underwriting/lending.list_reason_codes.sql
drop function lending.list_reason_codes(text);

-- db/src/underwriting/lending.update_product.sql
drop function lending.update_product(text, jsonb, integer, text, text, text);

-- db/src/underwriting/lending.create_product.sql
drop function lending.create_product(text, text, numeric, numeric, integer, integer, jsonb, numeric, text, text, boolean, jsonb, numeric, numeric, numeric, numeric, integer, integer, integer, text, text, text);

-- db/src/underwriting/lending.get_product.sql
drop function lending.get_product(text, integer, text);

-- db/src/underwriting/lending.list_products.sql
drop function lending.list_products(text);

-- db/src/underwriting/lending_private.fail_offer_not_found.sql
drop function lending_private.fail_offer_not_found(bigint);

-- db/src/underwriting/lending_private.make_offer.sql
drop function lending_private.make_offer(lending_private.decision);

-- db/src/underwriting/lending_private.insert_product_version.sql
drop function lending_private.insert_product_version(bigint, integer, jsonb);

-- db/src/underwriting/lending_private.product_json.sql
drop function lending_private.product_json(bigint, integer);

-- db/src/underwriting/lending_private.evaluate_policy.sql
drop function lending_private.evaluate_policy(jsonb, bigint, integer);

-- db/src/underwriting/lending_private.annual_percentage_rate.sql
drop function lending_private.annual_percentage_rate(numeric, numeric[]);

-- db/src/underwriting/lending_private.repayment_schedule.sql
drop function lending_private.repayment_schedule(numeric, numeric, integer, text);

-- db/src/underwriting/lending_private.risk_score.sql
drop function lending_private.risk_score(integer, boolean, integer);

-- db/src/applications/lending.update_application.sql
drop function lending.update_application(bigint, jsonb, integer, text, text, text);

-- db/src/applications/lending.decide.sql
drop function lending.decide(bigint, text, text, text[], integer, text, text, text, numeric, text, text, text);
create or replace function lending.decide(
  application_id bigint,
  outcome text,
  reason text,
  reason_codes text[] default '{}',
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('decide', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_application lending_private.application;
  v_decision lending_private.decision;
begin
  v_request := jsonb_build_object(
    'application_id', application_id, 'outcome', outcome, 'reason', reason, 'reason_codes', reason_codes,
    'expected_version', expected_version);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'decide', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('outcome', case
      when outcome is null then 'is required'
      when outcome not in ('approved', 'rejected', 'manual_review')
        then 'must be one of approved, rejected, manual_review' end),
    lending_private.field_error('reason', lending_private.text_error(reason, 2000, true)),
    lending_private.field_error('reason_codes', lending_private.reason_codes_error(reason_codes))]);

  v_application := lending_private.lock_application(application_id, expected_version);
  perform lending_private.check_transition(application_id, v_application.status, outcome);

  insert into lending_private.decision (application_id, outcome, reason, reason_codes, decided_by, request_id)
  values (application_id, outcome, reason, coalesce(reason_codes, '{}'), lending_private.current_actor(),
          lending_private.current_request_id())
  returning * into v_decision;

  update lending_private.application as a set status = outcome
   where a.application_id = decide.application_id
  returning * into v_application;

  return lending_private.idempotency_complete(idempotency_key, 'decide', v_request, jsonb_build_object(
    'status', 201,
    'body', lending_private.decision_json(v_decision)
            || jsonb_build_object('status', v_application.status, 'version', v_application.version)));
end;
$$;
comment on function lending.decide(bigint, text, text, text[], integer, text, text, text) is
$$Records an underwriting decision and moves the application to its outcome.

outcome is approved, rejected or manual_review; reason is 1-2000 characters; reason_codes is an optional list of
up to 20 short codes (letters, digits, _ . : -). The application is locked, the transition checked against the
status machine, a decision row appended and the status moved, all in one transaction. With expected_version the
call fails unless the application is at that version. Decisions are append-only.
Returns: {status: 201, body: decision with the application's new status and version, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, version_conflict, invalid_transition, idempotency_key_reused.$$;
grant execute on function lending.decide(bigint, text, text, text[], integer, text, text, text) to lending_api;

-- db/src/applications/lending.apply.sql
drop function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, numeric, numeric, text, integer, text, integer, text, date, date, boolean, boolean, text, text, text);
-- The hot path of the product; each choice below was measured (callgrind, instructions per call; bench/README.md):
-- * Validation is one plain expression, with no subquery in it: a subquery made it a query that PostgreSQL planned
--   afresh on every call (the custom plan of each call folds the CASE away, and so always looks cheaper than the
--   generic one). Whether an applicant_id exists is looked up before, and the PERFORM that raises runs only when
--   some field is wrong.
-- * The currency is looked up once; a taken applicant_external_ref is found by the party's insert, not a look-up.
-- * The response is built without looking for decisions: the application was filed in this very call.
-- * enable_seqscan is off, as in authorize(): the planner preferred reading all 150 currencies to find USD.
create or replace function lending.apply(
  amount numeric,
  applicant_name text default null,
  applicant_id bigint default null,
  applicant_email text default null,
  applicant_phone text default null,
  applicant_external_ref text default null,
  currency text default 'USD',
  term_months integer default null,
  purpose text default null,
  external_ref text default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
as $$
declare
  v_role text := lending_private.authorize('apply', actor, request_id);
  v_request jsonb;
  v_replay jsonb;
  v_applicant_id bigint := apply.applicant_id;
  v_applicant_exists boolean;
  v_minor_units smallint;
  v_field_errors jsonb[];
  v_existing_party bigint;
  v_application_id bigint;
begin
  v_request := jsonb_build_object(
    'amount', amount, 'applicant_name', applicant_name, 'applicant_id', applicant_id,
    'applicant_email', applicant_email, 'applicant_phone', applicant_phone,
    'applicant_external_ref', applicant_external_ref, 'currency', currency, 'term_months', term_months,
    'purpose', purpose, 'external_ref', external_ref);
  v_replay := lending_private.idempotency_claim(idempotency_key, 'apply', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select c.minor_units into v_minor_units from lending_private.currency as c where c.code = apply.currency;
  if applicant_id is not null then
    v_applicant_exists := exists (select from lending_private.party as p where p.party_id = apply.applicant_id);
  end if;
  v_field_errors := array[
      lending_private.field_error('amount', lending_private.amount_error(amount, v_minor_units)),
      lending_private.field_error('currency', case when v_minor_units is null
                                                   then lending_private.currency_error(currency) end),
      lending_private.field_error('term_months', lending_private.term_months_error(term_months)),
      lending_private.field_error('purpose', lending_private.text_error(purpose, 500)),
      lending_private.field_error('external_ref', lending_private.text_error(external_ref, 100))]
    || case
      when applicant_id is null then array[
        lending_private.field_error('applicant_name', lending_private.text_error(applicant_name, 255, true)),
        lending_private.field_error('applicant_email', lending_private.email_error(applicant_email)),
        lending_private.field_error('applicant_phone', lending_private.phone_error(applicant_phone)),
        lending_private.field_error('applicant_external_ref', lending_private.text_error(applicant_external_ref, 100))]
      when num_nonnulls(applicant_name, applicant_email, applicant_phone, applicant_external_ref) > 0 then array[
        lending_private.field_error('applicant_id',
          'give either applicant_id or the applicant''s fields (applicant_name, applicant_email, applicant_phone, applicant_external_ref), not both')]
      when not v_applicant_exists then array[
        lending_private.field_error('applicant_id', format('no applicant has id %s', applicant_id))]
      else '{}'::jsonb[]
    end;
  if num_nonnulls(variadic v_field_errors) > 0 then
    perform lending_private.fail_if_invalid(v_field_errors);
  end if;

  if v_applicant_id is null then
    -- A taken applicant_external_ref is found by the insert itself: ON CONFLICT waits for a concurrent apply that
    -- inserted the same one and, once that commits, inserts nothing. A look-up before a plain insert missed such an
    -- apply, whose insert then failed on the unique constraint: one condition answered with two codes. (Under
    -- REPEATABLE READ, where the other's row stays invisible, PostgreSQL raises a serialization failure: retry.)
    insert into lending_private.party (name, email, phone, external_ref)
    values (applicant_name, applicant_email, applicant_phone, applicant_external_ref)
    on conflict on constraint party_external_ref_is_unique do nothing
    returning party_id into v_applicant_id;
    if v_applicant_id is null then
      select p.party_id into v_existing_party from lending_private.party as p
       where p.external_ref = apply.applicant_external_ref;
      perform lending_private.fail(
        'applicant_exists',
        format('An applicant with external_ref %L already exists (applicant_id %s)', applicant_external_ref,
               v_existing_party),
        jsonb_build_object('applicant_id', v_existing_party, 'applicant_external_ref', applicant_external_ref));
    end if;
  end if;

  insert into lending_private.application (applicant_id, amount, currency, term_months, purpose, external_ref)
  values (v_applicant_id, amount, currency, term_months, purpose, external_ref)
  returning application_id into v_application_id;

  -- The application was filed just now, so it has no decisions: its document is built without looking for them.
  return lending_private.idempotency_complete(idempotency_key, 'apply', v_request, jsonb_build_object(
    'status', 201, 'body', lending_private.application_json(v_application_id, with_decisions => false)
                           || '{"decision": null, "decisions": []}'));
end;
$$;
comment on function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, text, text) is
$$Files a loan application in status pending.

The applicant is either an existing one (applicant_id) or new, from applicant_name (required then),
applicant_email, applicant_phone and applicant_external_ref. amount is exact: > 0, at most 10000000.00, at most
2 decimal places (fewer if the currency has fewer). currency is an ISO 4217 code (default USD); term_months is
1-480; purpose at most 500 characters; external_ref at most 100. A repeated idempotency_key with the same
arguments returns the first response and writes nothing.
Returns: {status: 201, body: application, replayed}; the application as lending.get_application shows it.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, applicant_exists, idempotency_key_reused.$$;
grant execute on function lending.apply(numeric, text, bigint, text, text, text, text, integer, text, text, text, text, text) to lending_api;

-- db/src/applications/lending_private.application_json.sql
-- The application document, which every read and write returns. The latest decision is the last of the history
-- rather than a second query, and the next statuses are read in the document's own query rather than through
-- next_statuses() (the same query, as a PL/pgSQL call per document): get_application 575k -> 540k instructions.
-- Amounts are decimal strings with two places, never JSON numbers.
create or replace function lending_private.application_json(application_id bigint, with_decisions boolean default true)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select jsonb_build_object(
      'application_id', a.application_id,
      'status', a.status,
      'next_statuses', (select coalesce(to_jsonb(array_agg(t.to_status order by t.to_status)), '[]')
                          from lending_private.status_transition as t where t.from_status = a.status),
      'amount', round(a.amount, 2)::text,
      'currency', a.currency,
      'term_months', a.term_months,
      'purpose', a.purpose,
      'external_ref', a.external_ref,
      'withdrawal_reason', a.withdrawal_reason,
      'applicant_id', p.party_id,
      'applicant_name', p.name,
      'applicant', jsonb_build_object('applicant_id', p.party_id, 'name', p.name, 'email', p.email,
                                      'phone', p.phone, 'external_ref', p.external_ref),
      'version', a.version,
      'created_at', lending_private.json_time(a.created_at),
      'updated_at', lending_private.json_time(a.updated_at))
    || case when with_decisions then (
         select jsonb_build_object('decision', h.decisions -> -1, 'decisions', h.decisions)
           from (select coalesce(jsonb_agg(lending_private.decision_json(d) order by d.decision_id), '[]') as decisions
                   from lending_private.decision as d where d.application_id = a.application_id) as h)
       else '{}' end
  from lending_private.application as a
  join lending_private.party as p on p.party_id = a.applicant_id
  where a.application_id = application_json.application_id);
end;
$$;
comment on function lending_private.application_json(bigint, boolean) is
  'An application with its applicant and, unless with_decisions is false, its latest decision and decision history.';

-- db/src/underwriting/lending_private.review_claim_json.sql
drop function lending_private.review_claim_json(lending_private.review_claim);

-- db/src/underwriting/lending_private.offer_json.sql
drop function lending_private.offer_json(lending_private.offer);

-- db/src/underwriting/lending_private.assessment_json.sql
drop function lending_private.assessment_json(lending_private.assessment);

-- db/src/applications/lending_private.decision_json.sql
create or replace function lending_private.decision_json(d lending_private.decision)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'decision_id', d.decision_id,
    'application_id', d.application_id,
    'outcome', d.outcome,
    'approved', case d.outcome when 'approved' then true when 'rejected' then false end,
    'reason', d.reason,
    'reason_codes', to_jsonb(d.reason_codes),
    'decided_by', d.decided_by,
    'request_id', d.request_id,
    'decided_at', lending_private.json_time(d.decided_at));
end;
$$;
comment on function lending_private.decision_json(lending_private.decision) is
  'A decision as the API shows it; `approved` is true, false, or null for manual_review.';

drop table lending_private.notice_delivery;

drop table lending_private.offer_response;
drop table lending_private.offer;

drop table lending_private.confirmation;

drop table lending_private.review_claim;

drop trigger _150_check_reasons on lending_private.decision;
alter table lending_private.decision
  drop column assessment_id, drop column recommendation, drop column overrides_recommendation,
  drop column override_reason, drop column decided_by_kind, drop column model_name, drop column model_version,
  drop column confidence, drop column requires_confirmation;

-- db/src/applications/lending_private.check_decision_reasons.sql
drop function lending_private.check_decision_reasons();

-- db/src/applications/lending_private.decision_reasons_error.sql
drop function lending_private.decision_reasons_error(text, text[]);

drop table lending_private.assessment;

-- db/src/applications/lending_private.missing_facts.sql
drop function lending_private.missing_facts(lending_private.application);

-- db/src/applications/lending_private.application_facts.sql
drop function lending_private.application_facts(lending_private.application);

-- db/src/applications/lending_private.application_fact_errors.sql
drop function lending_private.application_fact_errors(lending_private.application);

drop trigger _160_check_facts on lending_private.application;
alter table lending_private.application
  drop column product_code, drop column annual_income, drop column monthly_debt_payments,
  drop column employment_status, drop column months_employed, drop column housing_status, drop column credit_score,
  drop column credit_score_source, drop column credit_score_date, drop column date_of_birth,
  drop column income_verified, drop column identity_verified;
comment on column lending_private.application.version is 'Bumped on every change; lending.decide checks it on request.';

-- db/src/applications/lending_private.check_application_facts.sql
drop function lending_private.check_application_facts();

drop table lending_private.policy_rule;
drop table lending_private.product_rate;
drop table lending_private.product_version;
drop table lending_private.product;
drop table lending_private.policy_measure;
drop table lending_private.risk_grade;
-- The products' audit chains go with them: a product made again would start its chain at a sequence number taken.
-- The audit trail refuses deletes, so its guard steps aside for this one statement.
alter table lending_private.audit_log disable trigger _100_refuse_change;
delete from lending_private.audit_log where subject = 'product';
alter table lending_private.audit_log enable trigger _100_refuse_change;
delete from lending_private.audit_chain_head where subject = 'product';

-- db/src/underwriting/lending_private.check_product_terms.sql
drop function lending_private.check_product_terms();

-- db/src/underwriting/lending_private.product_errors.sql
drop function lending_private.product_errors(jsonb);

drop table lending_private.adverse_reason;

delete from lending_private.status_transition
 where from_status in ('pending_confirmation', 'offer_accepted', 'offer_declined', 'offer_expired')
    or to_status in ('pending_confirmation', 'offer_accepted', 'offer_declined', 'offer_expired');
delete from lending_private.application_status
 where status in ('pending_confirmation', 'offer_accepted', 'offer_declined', 'offer_expired');
update lending_private.application_status set description = 'Approved by underwriting.' where status = 'approved';

delete from lending_private.role_operation where operation = 'read_products';
delete from lending_private.operation where operation = 'read_products';

-- db/src/core/lending_private.setting_value.sql
drop function lending_private.setting_value(text);

drop table lending_private.setting;

comment on column lending_private.audit_log.subject is
  'Which kind of chain the row belongs to: application, party or actor.';
comment on column lending_private.audit_log.subject_id is 'The application_id, party_id or actor_id that owns the chain.';

-- db/src/core/lending_private.audit_row_error.sql
-- The audit log's one CHECK constraint (see audit_log.sql for why one). NULLs pass here and are refused by the
-- columns' NOT NULL.
create or replace function lending_private.audit_row_error(subject text, action text, seq integer, old_values jsonb)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    -- A new kind of chain (a new subject) is added here.
    when subject not in ('application', 'party', 'actor') then 'subject must be application, party or actor'
    when action not in ('insert', 'update') then 'action must be insert or update'
    when (action = 'update') <> (old_values is not null) then 'old_values are recorded for updates, and only for them'
    when seq < 1 then 'seq must be at least 1'
  end;
end;
$$;
comment on function lending_private.audit_row_error(text, text, integer, jsonb) is
  'What is wrong with an audit row''s subject, action, sequence number and old values, or null: the audit log''s '
  'CHECK constraint.';

-- db/src/core/lending_private.json_value_error.sql
drop function lending_private.json_value_error(jsonb, text);

-- db/src/core/lending_private.is_date.sql
drop function lending_private.is_date(text);

-- db/src/core/lending_private.number_error.sql
drop function lending_private.number_error(numeric, numeric, numeric, integer);

-- db/src/core/lending_private.money_error.sql
drop function lending_private.money_error(numeric, numeric, numeric);

delete from lending_private.error_code
 where code in ('not_in_underwriting', 'product_exists', 'assessment_required', 'assessment_stale', 'not_in_review',
                'review_claimed', 'review_claim_required', 'own_decision', 'offer_expired', 'no_adverse_action');

reset role;
