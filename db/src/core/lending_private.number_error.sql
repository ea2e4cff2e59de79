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
