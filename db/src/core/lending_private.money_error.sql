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
