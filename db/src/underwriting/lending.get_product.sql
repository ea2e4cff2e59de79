create or replace function lending.get_product(product_code text, version integer default null, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_products', actor, null);
  v_product lending_private.product;
begin
  select * into v_product from lending_private.product as p where p.product_code = get_product.product_code;
  if not found or not exists (select from lending_private.product_version as v
                               where v.product_id = v_product.product_id
                                 and v.version = coalesce(get_product.version, v_product.current_version)) then
    perform lending_private.fail(
      'not_found',
      case when v_product.product_id is null then format('No product has code %L', product_code)
           else format('Product %s has no version %s', product_code, version) end,
      jsonb_build_object('resource', 'product', 'product_code', product_code, 'version', version));
  end if;
  return lending_private.product_json(v_product.product_id, coalesce(version, v_product.current_version));
end;
$$;
comment on function lending.get_product(text, integer, text) is
$$Reads a loan product: its current version, or the version named.

Versions never change, so an assessment or an offer can always be read against the terms it was made under.
Returns: product (with version and current_version).
Errors: validation_failed, not_found, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.get_product(text, integer, text) to lending_api;
