create or replace function lending.list_actors(actor text default null, request_id text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  return jsonb_build_object('items', (select coalesce(jsonb_agg(lending_private.actor_json(a) order by a.name), '[]')
                                        from lending_private.actor as a));
end;
$$;
comment on function lending.list_actors(text, text) is
$$Lists every actor, by name.

Returns: {items: [actor]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_actors(text, text) to lending_api;
