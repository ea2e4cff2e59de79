-- The facts an assessment under the application's product needs and the application lacks: the term (an offer
-- needs it), the credit score (the risk grade comes from it) and the date of birth (only adults borrow), and
-- whatever the product's policy rules measure (lending_private.policy_measure.needs_facts).
create or replace function lending_private.missing_facts(a lending_private.application)
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_facts jsonb := lending_private.application_facts(a);
begin
  return array(
    select distinct f.fact
      from (select unnest(array['term_months', 'credit_score', 'date_of_birth']) as fact
            union all
            select unnest(m.needs_facts)
              from lending_private.product as p
              join lending_private.policy_rule as r on r.product_id = p.product_id and r.version = p.current_version
              join lending_private.policy_measure as m on m.measure = r.measure
             where p.product_code = a.product_code) as f
     where v_facts -> f.fact = 'null'
     order by f.fact);
end;
$$;
comment on function lending_private.missing_facts(lending_private.application) is
  'The facts an assessment of the application under its product needs and it does not have yet, by name.';
