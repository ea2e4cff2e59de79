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
