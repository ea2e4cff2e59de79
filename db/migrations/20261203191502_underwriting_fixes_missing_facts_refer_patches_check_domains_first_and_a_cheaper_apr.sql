-- migrate:up
set local role lending_owner;

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
      when jsonb_typeof(d -> 'rates') is distinct from 'object' then 'is required'
      when (select array_agg(k order by k) from jsonb_object_keys(d -> 'rates') as k) is distinct from v_grades
        then format('must give a rate for each risk grade, %s, and no other', array_to_string(v_grades, ', '))
      when exists (select from jsonb_each(d -> 'rates') as r
                    where lending_private.json_value_error(r.value, 'number') is not null or r.value = 'null')
        then 'each rate must be a percent written as a number, such as 7.99'
      else (select min(lending_private.number_error((r.value #>> '{}')::numeric, 0, 100, 4))
              from jsonb_each(d -> 'rates') as r) end);
  end if;

  if d ? 'rules' and jsonb_typeof(d -> 'rules') is distinct from 'array' then
    v_errors := v_errors || lending_private.field_error('rules', 'is required: an array of rules, [] for none');
  elsif d ? 'rules' then
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
  if cardinality(reason_codes) = 0 then
    -- The common decision, an approval, names none: nothing to look up.
    return case when outcome = 'rejected'
                then 'a rejection needs 1-4 reason codes, most important first (other, with the reason as its text, when none fits)' end;
  end if;
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

-- db/src/applications/lending.decide.sql
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

  select * into v_assessment from lending_private.assessment as s
   where s.application_id = decide.application_id order by s.assessment_id desc limit 1;
  v_current := v_assessment.facts = lending_private.application_facts(v_application);
  -- The product's terms are those of the version the current assessment was made under, if there is one: a product
  -- change after the assessment changes neither its offer nor who may approve it alone.
  select v.* into strict v_product
    from lending_private.product as p
    join lending_private.product_version as v
      on v.product_id = p.product_id
     and v.version = case when v_current then v_assessment.product_version else p.current_version end
   where p.product_code = v_application.product_code;
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
  v_amount numeric;
  v_term_months integer;
  v_purpose text;
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

  -- amount, term_months and purpose are of domains, which would refuse a bad value as it is read into the row, in
  -- their own words and before the other fields are checked: they are checked first, as values.
  v_amount := case when changes ? 'amount' then (changes ->> 'amount')::numeric else v_application.amount end;
  v_term_months := case when changes ? 'term_months' then (changes ->> 'term_months')::integer
                        else v_application.term_months end;
  v_purpose := case when changes ? 'purpose' then changes ->> 'purpose' else v_application.purpose end;
  v_patched := jsonb_populate_record(v_application, changes - array['amount', 'term_months', 'purpose']);
  select c.minor_units into v_minor_units from lending_private.currency as c where c.code = v_patched.currency;
  perform lending_private.fail_if_invalid(array[
      lending_private.field_error('amount', case when changes ? 'amount'
                                                 then lending_private.amount_error(v_amount, v_minor_units) end),
      lending_private.field_error('term_months', lending_private.term_months_error(v_term_months)),
      lending_private.field_error('purpose', lending_private.text_error(v_purpose, 500))]
    || lending_private.application_fact_errors(v_patched));
  v_patched.amount := v_amount;
  v_patched.term_months := v_term_months;
  v_patched.purpose := v_purpose;

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
  v_rate numeric := 0.015625;  -- the monthly rate tried first: 1/64 a month (18.75% a year), doubled while below
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
    exit when v_high is not null
              and (round(1200 * v_low, 2) = round(1200 * v_high, 2) or v_high - v_low <= 1e-15);
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
-- 3. The recommendation: reject when a reject rule failed; else refer when a refer rule failed or a fact is missing
--    (one the rules need, or one every assessment needs: the term, the credit score, the date of birth); else
--    approve. Its reasons are the failed rules' codes in rule order, reject rules' first, each once, at most
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
              when bool_or(e.result in ('fail', 'missing')) or cardinality(v_missing) > 0 then 'refer'
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
  -- An assessment that could make no offer (no grade, or a term outside the product) kept a null one; an approval
  -- overriding it takes the product's terms as a decision without an assessment does.
  select nullif(s.offer, 'null') into v_offer from lending_private.assessment as s
   where s.assessment_id = decision.assessment_id;
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
  -- A null clears an optional term (its key goes); rates and rules stay, so that a null for them is refused as
  -- a field rather than read as no rates at all.
  v_document := jsonb_strip_nulls(v_current || changes)
                || jsonb_build_object('rates', (v_current || changes) -> 'rates',
                                      'rules', (v_current || changes) -> 'rules');
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
    array(select jsonb_array_elements_text(v_result -> 'reason_codes')), nullif(v_result -> 'offer', 'null'),
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

reset role;

-- migrate:down
set local role lending_owner;

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

-- db/src/applications/lending.decide.sql
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

reset role;
