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
