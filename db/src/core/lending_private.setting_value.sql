create or replace function lending_private.setting_value(name text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_value text;
begin
  select s.value into strict v_value from lending_private.setting as s where s.name = setting_value.name;
  return v_value;
end;
$$;
comment on function lending_private.setting_value(text) is 'The value of a setting (lending_private.setting); raises if there is none.';
