create or replace function lending_private.term_months_error(term_months integer)
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when term_months not between 1 and 480 then 'must be between 1 and 480 months' end;
end;
$$;
comment on function lending_private.term_months_error(integer) is 'What is wrong with a loan term, or null.';
