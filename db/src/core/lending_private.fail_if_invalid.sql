create or replace function lending_private.fail_if_invalid(field_errors jsonb[])
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_errors jsonb;
begin
  if num_nonnulls(variadic field_errors) = 0 then
    return;  -- the common case, without running a query
  end if;
  select jsonb_agg(e) into v_errors from unnest(field_errors) as e where e is not null;
  if v_errors is not null then
    perform lending_private.fail(
      'validation_failed',
      format('%s invalid: %s', case when jsonb_array_length(v_errors) = 1 then 'one field is' else 'some fields are' end,
             (select string_agg(e ->> 'field' || ' ' || (e ->> 'message'), '; ') from jsonb_array_elements(v_errors) e)),
      jsonb_build_object('errors', v_errors));
  end if;
end;
$$;
comment on function lending_private.fail_if_invalid(jsonb[]) is
  'Raises validation_failed listing every non-null field error, or returns when there is none.';
