create or replace function lending_private.check_product_terms()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail_if_invalid(lending_private.product_errors(to_jsonb(new)));
  return new;
end;
$$;
comment on function lending_private.check_product_terms() is
  'Trigger: a product version''s terms follow lending_private.product_errors, whoever writes.';
