create or replace function lending_private.email_error(value text)
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value is null then null
    when char_length(value) > 254 then 'must be at most 254 characters'
    when value !~ '^[^@\s]+@[^@\s]+\.[^@\s.]+$' then 'must be an email address such as jane@example.com'
  end;
end;
$$;
comment on function lending_private.email_error(text) is 'What is wrong with an email address, or null.';
