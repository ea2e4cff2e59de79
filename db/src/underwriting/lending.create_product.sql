-- The product is written through one document, whatever made it (these parameters, or update_product's merge
-- patch): lending_private.product_errors checks it and lending_private.insert_product_version writes it.
create or replace function lending.create_product(
  product_code text,
  name text,
  min_amount numeric,
  max_amount numeric,
  min_term_months integer,
  max_term_months integer,
  rates jsonb,
  agent_approval_limit numeric,
  currency text default null,
  amortization text default 'annuity',
  requires_assessment boolean default true,
  rules jsonb default '[]',
  origination_fee_percent numeric default 0,
  origination_fee_cap numeric default null,
  late_fee_flat numeric default 0,
  late_fee_percent numeric default 0,
  grace_days integer default 5,
  write_off_days integer default 180,
  offer_valid_days integer default 30,
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
  v_document jsonb := jsonb_build_object(
    'product_code', product_code, 'name', name, 'currency', currency, 'min_amount', min_amount,
    'max_amount', max_amount, 'min_term_months', min_term_months, 'max_term_months', max_term_months,
    'amortization', amortization, 'origination_fee_percent', origination_fee_percent,
    'origination_fee_cap', origination_fee_cap, 'late_fee_flat', late_fee_flat, 'late_fee_percent', late_fee_percent,
    'grace_days', grace_days, 'write_off_days', write_off_days, 'offer_valid_days', offer_valid_days,
    'agent_approval_limit', agent_approval_limit, 'requires_assessment', requires_assessment, 'rates', rates,
    'rules', rules);
  v_replay jsonb;
  v_product_id bigint;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'create_product', v_document);
  if v_replay is not null then
    return v_replay;
  end if;

  perform lending_private.fail_if_invalid(
    array[lending_private.field_error('product_code', case
      when product_code is null then 'is required'
      when product_code !~ '^[a-z][a-z0-9_]{1,49}$'
        then 'must be 2-50 lower-case letters, digits or _, starting with a letter' end)]
    || lending_private.product_errors(v_document));

  insert into lending_private.product (product_code) values (product_code)
  on conflict on constraint product_code_is_unique do nothing
  returning product_id into v_product_id;
  if v_product_id is null then
    perform lending_private.fail('product_exists', format('A product with code %L exists already', product_code),
                                 jsonb_build_object('product_code', product_code));
  end if;
  perform lending_private.insert_product_version(v_product_id, 1, v_document);

  return lending_private.idempotency_complete(idempotency_key, 'create_product', v_document, jsonb_build_object(
    'status', 201, 'body', lending_private.product_json(v_product_id, 1)));
end;
$$;
comment on function lending.create_product(text, text, numeric, numeric, integer, integer, jsonb, numeric, text, text, boolean, jsonb, numeric, numeric, numeric, numeric, integer, integer, integer, text, text, text) is
$$Creates a loan product, as its version 1.

product_code is 2-50 of a-z, 0-9 and _, starting with a letter. Amounts are 0.01-10000000.00 with min <= max; terms
1-480 months with min <= max; rates is an object with a nominal annual rate in percent (0-100, at most 4
decimals) for each risk grade A-E; amortization is annuity or equal_principal (monthly repayments). currency null
lends in the application's currency. origination_fee_percent (0-50) of the amount, at most origination_fee_cap, is
the fee taken from the principal. requires_assessment true means no approval without a current assessment;
agent_approval_limit is the amount above which an approval waits for a second person. rules is an ordered array
(most important first) of {measure, comparison (>= or <=), threshold, reason_code, on_failure (reject or refer)};
measures: credit_score, debt_to_income, loan_to_income, months_employed, unverified_amount, identity_verified.
Returns: {status: 201, body: product, replayed}.
Errors: validation_failed, product_exists, unauthenticated, forbidden, actor_mismatch, idempotency_key_reused.$$;
grant execute on function lending.create_product(text, text, numeric, numeric, integer, integer, jsonb, numeric, text, text, boolean, jsonb, numeric, numeric, numeric, numeric, integer, integer, integer, text, text, text) to lending_api;
