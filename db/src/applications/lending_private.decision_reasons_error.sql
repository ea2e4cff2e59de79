-- A rejection states its principal reasons: one to four codes of the adverse-action vocabulary
-- (lending_private.adverse_reason), `other` standing for a reason the list lacks, with the decision's reason as its
-- specific text. A referral to manual review may name up to four, for the reviewer; an approval names none (its
-- reason says why). Decisions recorded before the vocabulary existed keep the free codes they had.
create or replace function lending_private.decision_reasons_error(outcome text, reason_codes text[])
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_unknown text;
begin
  if cardinality(reason_codes) = 0 then
    -- The common decision, an approval, names none: nothing to look up.
    return case when outcome = 'rejected'
                then 'a rejection needs 1-4 reason codes, most important first (other, with the reason as its text, when none fits)' end;
  end if;
  select string_agg(c, ', ') into v_unknown
    from unnest(reason_codes) as c
   where not exists (select from lending_private.adverse_reason as r where r.code = c);
  return case
    when v_unknown is not null
      then format('must be reason codes of lending.list_reason_codes; unknown: %s', v_unknown)
    when cardinality(reason_codes) <> cardinality(array(select distinct unnest(reason_codes)))
      then 'must not repeat a code'
    when outcome = 'rejected' and coalesce(cardinality(reason_codes), 0) not between 1 and 4
      then 'a rejection needs 1-4 reason codes, most important first (other, with the reason as its text, when none fits)'
    when outcome = 'manual_review' and cardinality(reason_codes) > 4 then 'must hold at most 4 codes'
    when outcome = 'approved' and cardinality(reason_codes) > 0
      then 'an approval takes no adverse-action reason codes'
  end;
end;
$$;
comment on function lending_private.decision_reasons_error(text, text[]) is
  'What is wrong with a decision''s reason codes for its outcome, or null.';
