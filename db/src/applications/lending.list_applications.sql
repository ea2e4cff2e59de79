create or replace function lending.list_applications(
  status text default null,
  "limit" integer default 50,
  after text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_after bigint := lending_private.cursor_id(after);
  v_ids bigint[];
  v_next text;
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('status', case
      when status is not null and not exists (select from lending_private.application_status as s
                                               where s.status = list_applications.status)
        then format('must be one of %s',
                    (select string_agg(s.status, ', ' order by s.status) from lending_private.application_status as s))
      end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 100
                                              then 'must be between 1 and 100' end),
    lending_private.field_error('after', case when after is not null and v_after is null
                                              then 'must be a next_cursor returned by an earlier page' end)]);

  select array_agg(a.application_id order by a.application_id desc) into v_ids
    from (select a.application_id from lending_private.application as a
           where (list_applications.status is null or a.status = list_applications.status)
             and (v_after is null or a.application_id < v_after)
           order by a.application_id desc
           limit "limit" + 1) as a;

  if cardinality(v_ids) > "limit" then
    v_next := lending_private.id_cursor(v_ids["limit"]);
    v_ids := v_ids[1:"limit"];
  end if;
  return jsonb_build_object(
    'items', (select coalesce(jsonb_agg(lending_private.application_json(i.id, false) order by i.id desc), '[]')
                from unnest(v_ids) as i(id)),
    'next_cursor', v_next);
end;
$$;
comment on function lending.list_applications(text, integer, text, text) is
$$Lists applications newest first, one page at a time.

status filters by status; limit is 1-100 (default 50); after is the next_cursor of the previous page. Items carry
the application without its decision history; next_cursor is null on the last page.
Returns: {items: [application], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_applications(text, integer, text, text) to lending_api;
