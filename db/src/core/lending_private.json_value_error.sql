-- A JSON document's field (a merge patch's, for instance) must have the JSON type its column takes before it can be
-- read as one: this says what is wrong with `value` as a `kind`, or null. A JSON null is always acceptable here:
-- whether a field may be empty is the caller's rule. Money follows the API's grammar: a JSON number, or a string of
-- ASCII digits with an optional point (no exponent, sign or spaces).
create or replace function lending_private.json_value_error(value jsonb, kind text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if value is null or jsonb_typeof(value) = 'null' then
    return null;
  end if;
  return case kind
    when 'text' then case when jsonb_typeof(value) <> 'string' then 'must be a string' end
    when 'boolean' then case when jsonb_typeof(value) <> 'boolean' then 'must be true or false' end
    when 'integer' then case when jsonb_typeof(value) <> 'number' or value::text !~ '^-?[0-9]{1,9}$'
                               then 'must be a whole number' end
    when 'number' then case
      when jsonb_typeof(value) = 'number' and value::text !~* 'e' then null
      when jsonb_typeof(value) = 'string' and value #>> '{}' ~ '^[0-9]{1,15}(\.[0-9]{1,15})?$' then null
      else 'must be ASCII digits with an optional point and no exponent, as a JSON number or a string' end
    when 'date' then case
      when jsonb_typeof(value) <> 'string' or value #>> '{}' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
        or not lending_private.is_date(value #>> '{}') then 'must be a date written YYYY-MM-DD' end
    when 'object' then case when jsonb_typeof(value) <> 'object' then 'must be an object' end
    when 'array' then case when jsonb_typeof(value) <> 'array' then 'must be an array' end
  end;
end;
$$;
comment on function lending_private.json_value_error(jsonb, text) is
  'What is wrong with a JSON value as a text, boolean, integer, number (money and rates), date, object or array, or null.';
