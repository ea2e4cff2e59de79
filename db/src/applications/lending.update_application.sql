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
