create or replace function lending_private.actor_name_error(name text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when name is null then 'is required'
    when name !~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'
      then 'must be 1-100 letters, digits and . _ @ -, starting with a letter or digit'
  end;
end;
$$;
comment on function lending_private.actor_name_error(text) is 'What is wrong with an actor''s name, or null.';
