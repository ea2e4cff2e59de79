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
