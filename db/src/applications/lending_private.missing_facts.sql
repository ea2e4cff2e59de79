-- The facts an assessment under a product version needs and `facts` (lending_private.application_facts) lacks: the
-- term (an offer needs it), the credit score (the risk grade comes from it) and the date of birth (only adults
-- borrow), and whatever the version's policy rules measure (lending_private.policy_measure.needs_facts). The
-- assessment lists them, and the application shows them for its product's version in force.
create or replace function lending_private.missing_facts(facts jsonb, product_id bigint, version integer)
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.policy_rule as r
              join lending_private.policy_measure as m on m.measure = r.measure
             where r.product_id = missing_facts.product_id and r.version = missing_facts.version) as f
     where coalesce(facts -> f.fact, 'null') = 'null'
     order by f.fact);
end;
$$;
comment on function lending_private.missing_facts(jsonb, bigint, integer) is
  'The facts an assessment under a product version needs and the given facts lack, by name.';
