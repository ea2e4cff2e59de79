-- What is wrong with an amount of money in a currency, or null. Amounts are exact: at most 2 decimal places (and no
-- more than the currency has), more than zero, at most 10,000,000.00. The decimals are counted as written (numeric
-- keeps them): 100.000 has three and is refused, as "100.000" is over HTTP, where a string amount is digits with
-- at most the currency's decimals.
create or replace function lending_private.amount_error(amount numeric, minor_units smallint default 2)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when amount is null then 'is required'
    when amount = 'NaN' or amount in ('Infinity', '-Infinity') then 'must be a finite number'
    when amount <= 0 then 'must be greater than 0'
    when amount > 10000000 then 'must be at most 10000000.00'
    when scale(amount) > least(2, coalesce(minor_units, 2))
      then 'must have at most ' || least(2, coalesce(minor_units, 2))::text || ' decimal places'
  end;
end;
$$;
comment on function lending_private.amount_error(numeric, smallint) is
  'What is wrong with a loan amount (finite, > 0, <= 10,000,000.00, at most 2 decimals or the currency''s), or null.';
