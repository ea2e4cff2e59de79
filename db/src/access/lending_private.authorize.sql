-- Runs first in every call that needs a permission, so it costs one query: the actor, its role and the permission
-- together, the permission as a join rather than a subquery (fewer executor nodes).
--
-- enable_seqscan is off: the reference tables (role_operation, currency) fill a page or two, so the planner's
-- page-based costs prefer a sequential scan, which read all 73 permissions on every call where the primary key
-- reads one (about a tenth of a lending.get_application call). A function's settings hold for everything it calls,
-- triggers included.
create or replace function lending_private.authorize(operation text, actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
as $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
  v_permitted boolean;
begin
  select a.role, a.active, p.operation is not null
    into v_role, v_active, v_permitted
    from lending_private.actor as a
    left join lending_private.role_operation as p on p.role = a.role and p.operation = authorize.operation
   where a.name = v_name;
  if (v_active is not true or not v_permitted) and v_name = 'operator' and lending_private.session_is_superuser() then
    -- The recovery path: a superuser acts as the operator with an admin's rights whatever the actors table says (a
    -- superuser's raw UPDATE could have demoted or deactivated it). Checked only when the table refuses, so it
    -- costs the usual call nothing.
    v_role := 'admin';
    v_active := true;
    v_permitted := exists (select from lending_private.role_operation as p
                            where p.role = 'admin' and p.operation = authorize.operation);
  end if;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  if not v_permitted then
    perform lending_private.fail(
      'forbidden',
      format('Actor %s (role %s) may not %s', v_name, v_role, operation),
      jsonb_build_object('actor', v_name, 'role', v_role, 'operation', operation,
                         'allowed_roles', (select coalesce(to_jsonb(array_agg(p.role order by p.role)), '[]')
                                             from lending_private.role_operation as p
                                            where p.operation = authorize.operation)));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;
comment on function lending_private.authorize(text, text, text) is
  'identify(), and refuses with forbidden unless the actor''s role may perform the operation. Returns the role.';
