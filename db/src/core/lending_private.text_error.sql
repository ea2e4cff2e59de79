-- Field rules, each in one function that returns what is wrong (or null). The domains (domains.sql) call them, so
-- direct SQL is held to the same rules, and the API functions call them to report every bad field at once.
-- The rules of optional fields are STRICT where null means nothing is wrong: PostgreSQL then does not call them
-- for a null at all (a PL/pgSQL call each, twice per field per application: once by the API function, once by the
-- domain).
create or replace function lending_private.text_error(value text, max_length integer, required boolean default false)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value is null then case when required then 'is required' end
    when btrim(value) = '' then 'must not be blank'
    when char_length(value) > max_length then 'must be at most ' || max_length::text || ' characters'
  end;
end;
$$;
comment on function lending_private.text_error(text, integer, boolean) is
  'What is wrong with a free-text field (missing, blank, too long), or null.';
