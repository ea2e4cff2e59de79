create or replace function lending.list_products(actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
begin
  return jsonb_build_object('items', (
    select coalesce(jsonb_agg(lending_private.product_json(p.product_id, p.current_version) order by p.product_code),
                    '[]')
      from lending_private.product as p));
end;
$$;
comment on function lending.list_products(text) is
$$Lists every loan product in its current version, by code.

Returns: {items: [product]}: each with its terms, its rate by risk grade and its policy rules.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_products(text) to lending_api;
