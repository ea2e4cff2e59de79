-- migrate:up
set local role lending_owner;

-- db/src/access/lending_private.acting_actor_name.sql
-- Who is acting. Every public function starts with identify() or authorize(), which call this: the HTTP service
-- (a member of lending_gateway) and operators name the actor; any other caller acts as the actor mapped to its
-- login role, so it cannot pass for someone else.
--
-- authorize() runs on every call, so the helpers it calls are plain expressions to PL/pgSQL (no query of their
-- own) when the HTTP service calls: the argument checks below run only when an argument is out of bounds. A request
-- id of printable ASCII (as HTTP's always are) passes on one pattern match; any other is held to the text rule
-- (text_error), so that no control or bidirectional character reaches the audit trail from a SQL caller.
create or replace function lending_private.acting_actor_name(actor text, request_id text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text;
begin
  if char_length(actor) > 200 or char_length(request_id) > 200 or request_id !~ '^[ -~]*[!-~][ -~]*$' then
    perform lending_private.fail_if_invalid(array[
      lending_private.field_error('actor', lending_private.text_error(actor, 200)),
      lending_private.field_error('request_id', lending_private.text_error(request_id, 200))]);
  end if;
  if pg_has_role(session_user, 'lending_owner', 'MEMBER') then  -- superusers included
    return coalesce(actor, 'operator');
  end if;
  if pg_has_role(session_user, 'lending_gateway', 'MEMBER') then
    if actor is null then
      perform lending_private.fail('unauthenticated', 'The HTTP service must name the acting actor',
                                   jsonb_build_object('db_role', session_user));
    end if;
    return actor;
  end if;
  select a.name into v_name from lending_private.actor as a where a.db_role = session_user;
  if v_name is null then
    perform lending_private.fail(
      'unauthenticated',
      format('PostgreSQL role %s is not mapped to an actor: an admin maps it with '
             '`lendgres actors create --name ... --kind service --role ... --db-role %s`', session_user, session_user),
      jsonb_build_object('db_role', session_user));
  end if;
  if actor is not null and actor <> v_name then
    perform lending_private.fail(
      'actor_mismatch',
      format('PostgreSQL role %s acts as %s and cannot act as %s', session_user, v_name, actor),
      jsonb_build_object('db_role', session_user, 'actor', v_name, 'requested_actor', actor));
  end if;
  return v_name;
end;
$$;
comment on function lending_private.acting_actor_name(text, text) is
  'Which actor a call acts for: the one the HTTP service or an operator names, else the one the login is mapped to.';

reset role;

-- migrate:down
set local role lending_owner;

-- db/src/access/lending_private.acting_actor_name.sql
-- Who is acting. Every public function starts with identify() or authorize(), which call this: the HTTP service
-- (a member of lending_gateway) and operators name the actor; any other caller acts as the actor mapped to its
-- login role, so it cannot pass for someone else.
--
-- authorize() runs on every call, so the helpers it calls are plain expressions to PL/pgSQL (no query of their
-- own) when the HTTP service calls: the argument checks below run only when an argument is out of bounds.
create or replace function lending_private.acting_actor_name(actor text, request_id text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text;
begin
  if char_length(actor) > 200 or char_length(request_id) > 200 or btrim(request_id) = '' then
    perform lending_private.fail_if_invalid(array[
      lending_private.field_error('actor', lending_private.text_error(actor, 200)),
      lending_private.field_error('request_id', lending_private.text_error(request_id, 200))]);
  end if;
  if pg_has_role(session_user, 'lending_owner', 'MEMBER') then  -- superusers included
    return coalesce(actor, 'operator');
  end if;
  if pg_has_role(session_user, 'lending_gateway', 'MEMBER') then
    if actor is null then
      perform lending_private.fail('unauthenticated', 'The HTTP service must name the acting actor',
                                   jsonb_build_object('db_role', session_user));
    end if;
    return actor;
  end if;
  select a.name into v_name from lending_private.actor as a where a.db_role = session_user;
  if v_name is null then
    perform lending_private.fail(
      'unauthenticated',
      format('PostgreSQL role %s is not mapped to an actor: an admin maps it with '
             '`lendgres actors create --name ... --kind service --role ... --db-role %s`', session_user, session_user),
      jsonb_build_object('db_role', session_user));
  end if;
  if actor is not null and actor <> v_name then
    perform lending_private.fail(
      'actor_mismatch',
      format('PostgreSQL role %s acts as %s and cannot act as %s', session_user, v_name, actor),
      jsonb_build_object('db_role', session_user, 'actor', v_name, 'requested_actor', actor));
  end if;
  return v_name;
end;
$$;
comment on function lending_private.acting_actor_name(text, text) is
  'Which actor a call acts for: the one the HTTP service or an operator names, else the one the login is mapped to.';

reset role;
