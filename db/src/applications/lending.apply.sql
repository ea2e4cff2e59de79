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
