-- The score behind the risk grade: the credit score, 10 points up when income is verified, 20 down for less than a
-- year in the current employment, kept within 300-850. Plain on purpose: a reviewer can redo it by hand, and a
-- notice can name what moved it. The loan's own burden (debt-to-income) is a policy rule rather than part of the
-- score, because the installment it needs comes from the rate, which comes from the grade.
create or replace function lending_private.risk_score(credit_score integer, income_verified boolean,
                                                      months_employed integer)
returns integer
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  if credit_score is null then
    return null;
  end if;
  return least(850, greatest(300, credit_score
                                  + case when income_verified then 10 else 0 end
                                  - case when months_employed < 12 then 20 else 0 end));
end;
$$;
comment on function lending_private.risk_score(integer, boolean, integer) is
  'An assessment''s score: the credit score, +10 with verified income, -20 under 12 months employed, within 300-850.';
