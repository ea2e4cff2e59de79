create or replace function lending_private.reason_codes_error(reason_codes text[])
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when reason_codes is null then null
    when cardinality(reason_codes) > 20 then 'must hold at most 20 codes'
    when exists (select from unnest(reason_codes) as c where c is null or c !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$')
      then 'each code must be 1 to 64 letters, digits, or _ . : - (for example DTI_TOO_HIGH)'
  end;
end;
$$;
comment on function lending_private.reason_codes_error(text[]) is 'What is wrong with a list of reason codes, or null.';
