-- A change is a new version: the current version's document, merge-patched (RFC 7396, one level: rates and rules
-- are replaced whole), checked as create_product checks, and written. Versions already written never change, so
-- assessments and offers made under them keep their terms.
create or replace function lending.update_product(
  product_code text,
  changes jsonb,
  expected_version integer default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('manage_products', actor, request_id);
  v_request jsonb := jsonb_build_object('product_code', product_code, 'changes', changes,
                                        'expected_version', expected_version);
  v_replay jsonb;
  v_product lending_private.product;
  v_current jsonb;
  v_document jsonb;
  v_unknown text[];
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'update_product', v_request);
  if v_replay is not null then
    return v_replay;
  end if;

  select * into v_product from lending_private.product as p where p.product_code = update_product.product_code
     for update;
  if not found then
    perform lending_private.fail('not_found', format('No product has code %L', product_code),
                                 jsonb_build_object('resource', 'product', 'product_code', product_code));
  end if;
  if expected_version is not null and expected_version <> v_product.current_version then
    perform lending_private.fail(
      'version_conflict',
      format('Product %s is at version %s, not %s', product_code, v_product.current_version, expected_version),
      jsonb_build_object('product_code', product_code, 'expected_version', expected_version,
                         'current_version', v_product.current_version));
  end if;

  v_current := lending_private.product_json(v_product.product_id, v_product.current_version);
  if changes is null or jsonb_typeof(changes) <> 'object' then
    perform lending_private.fail_if_invalid(array[lending_private.field_error('changes', 'must be an object')]);
  end if;
  v_unknown := array(select k from jsonb_object_keys(changes) as k
                      where k not in (select jsonb_object_keys(v_current))
                         or k in ('product_code', 'version', 'current_version', 'repayment_frequency', 'created_by',
                                  'created_at')
                      order by k);
  perform lending_private.fail_if_invalid(array(
    select lending_private.field_error(k, 'cannot be changed: it is not a product term') from unnest(v_unknown) as k)
    -- Applications filed in the product's currency stay in it: a product that lends in another is another product.
    || lending_private.field_error('currency', case
         when changes ? 'currency' and changes -> 'currency' is distinct from v_current -> 'currency'
           then 'cannot be changed: applications filed under the product are in its currency; create another product' end));

  -- The rules as stored carry their position, which the order of the array gives on the way in.
  v_current := jsonb_set(v_current, '{rules}', (select coalesce(jsonb_agg(r - 'position'), '[]')
                                                  from jsonb_array_elements(v_current -> 'rules') as r));
  -- A null clears an optional term (its key goes); rates and rules stay, so that a null for them is refused as
  -- a field rather than read as no rates at all.
  v_document := jsonb_strip_nulls(v_current || changes)
                || jsonb_build_object('rates', (v_current || changes) -> 'rates',
                                      'rules', (v_current || changes) -> 'rules');
  perform lending_private.fail_if_invalid(lending_private.product_errors(v_document));

  update lending_private.product as p set current_version = p.current_version + 1, updated_at = now()
   where p.product_id = v_product.product_id
  returning * into v_product;
  perform lending_private.insert_product_version(v_product.product_id, v_product.current_version, v_document);

  return lending_private.idempotency_complete(idempotency_key, 'update_product', v_request, jsonb_build_object(
    'status', 200, 'body', lending_private.product_json(v_product.product_id, v_product.current_version)));
end;
$$;
comment on function lending.update_product(text, jsonb, integer, text, text, text) is
$$Changes a loan product by making its next version.

changes is a JSON merge patch over the product's terms (create_product's fields but product_code and currency,
which applications filed under it keep): a field given replaces the current one, null clears an optional one
(origination_fee_cap), an absent one stays; rates
and rules, when given, replace the whole set. The result is checked as create_product checks a new product. With
expected_version the call fails unless the product's current version is that one. Earlier versions, and every
assessment and offer made under them, are unchanged.
Returns: {status: 200, body: product (the new version), replayed}.
Errors: validation_failed, not_found, version_conflict, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.update_product(text, jsonb, integer, text, text, text) to lending_api;
