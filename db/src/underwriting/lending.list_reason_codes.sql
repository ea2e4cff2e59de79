create or replace function lending.list_reason_codes(actor text default null)
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
    select jsonb_agg(jsonb_build_object('code', r.code, 'text', r.notice_text, 'requires_text', r.requires_text)
                     order by r.position)
      from lending_private.adverse_reason as r));
end;
$$;
comment on function lending.list_reason_codes(text) is
$$Lists the reason codes a decision may give, with the words an adverse action notice shows for each.

Modelled on the sample reasons of Regulation B form C-1. A rejection gives 1-4 of them, most important first;
`other` (requires_text) shows the decision's reason as its text.
Returns: {items: [{code, text, requires_text}]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_reason_codes(text) to lending_api;
