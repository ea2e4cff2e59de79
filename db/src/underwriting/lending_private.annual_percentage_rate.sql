-- The annual percentage rate of a closed-end loan, by the actuarial method of Regulation Z (12 CFR 1026.22(a)(1),
-- Appendix J), for the loans Lendgres makes: one advance, then payments[k] due k months after it.
--
-- The choices, and why:
-- - The unit period is the month: Appendix J (b)(4) makes it the period that occurs most often, and our payments are
--   monthly. The first period is regular (the first payment is due one month after the advance), so there is no
--   fractional period and the general equation of (b)(8) reduces to  amount_financed = sum payments[k] / (1+i)^k.
-- - The APR is the unit-period rate times the number of unit periods in a year, 12 (b)(1): a nominal rate, not an
--   effective one. It is returned in percent, rounded half away from zero to 2 decimals (12.00 means 12.00%): (b)(9)
--   asks for enough iterations that the rate rounded to 2 decimals is correct, and that is what is disclosed.
-- - The equation is solved in the form of (a)(2): each month the unpaid balance grows by that month's finance
--   charge and falls by the payment, and the APR is the rate at which the balance after the last payment is 0.
--   That final balance changes sign once, from negative (payments exceed the amount financed at i = 0) to positive,
--   so bisection on its sign cannot fail to converge, and it needs no division: only numeric additions,
--   multiplications by 2 or 1/2 and round(), which give the same digits on every PostgreSQL version (numeric's
--   division picks its own scale, and Newton's method would need one per step). The bracket starts at [0, 100% a
--   month] and doubles its top until it holds the root (at most 63 times); bisection then stops once it is 1e-15 a
--   month wide: 51 steps in all for any APR under 1200%, and never more than 200, so the cost is bounded (about
--   12 ms for 480 payments). Balances and rates are rounded to 30 decimals at each step, so the numbers do not grow;
--   that error is far below the 2 decimals kept.
create or replace function lending_private.annual_percentage_rate(amount_financed numeric, payments numeric[])
returns numeric
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_total numeric := 0;
  v_payment numeric;
  v_rate numeric := 0.015625;  -- the monthly rate tried first: 1/64 a month (18.75% a year), doubled while below
  v_low numeric := 0;   -- the highest rate tried at which the loan is not paid off (final balance <= 0)
  v_high numeric;       -- the lowest rate tried at which it is more than paid off; null until one is found
  v_balance numeric;
  v_steps integer := 0;
begin
  -- An internal function: its callers compute what they pass, so a violation here is a bug, not a user's problem.
  if amount_financed <= 0 then
    raise exception 'annual_percentage_rate: amount_financed must be positive, not %', amount_financed;
  end if;
  if cardinality(payments) = 0 or array_ndims(payments) <> 1 then
    raise exception 'annual_percentage_rate: payments must be a non-empty list';
  end if;
  foreach v_payment in array payments loop
    if v_payment is null or v_payment < 0 then
      raise exception 'annual_percentage_rate: every payment must be 0 or more, not %', v_payment;
    end if;
    v_total := v_total + v_payment;
  end loop;
  if v_total < amount_financed then
    raise exception 'annual_percentage_rate: the payments (%) sum to less than the amount financed (%)',
      v_total, amount_financed;
  end if;
  if v_total = amount_financed then
    return 0.00;  -- no finance charge
  end if;

  loop
    v_balance := amount_financed;
    foreach v_payment in array payments loop
      v_balance := round(v_balance * (1 + v_rate) - v_payment, 30);
    end loop;
    if v_balance > 0 then
      v_high := v_rate;
    else
      v_low := v_rate;
    end if;
    exit when v_high is not null
              and (round(1200 * v_low, 2) = round(1200 * v_high, 2) or v_high - v_low <= 1e-15);
    v_steps := v_steps + 1;
    if v_steps = 200 or (v_high is null and v_steps = 64) then
      raise exception 'annual_percentage_rate: no rate found for % financed against % payments summing to %',
        amount_financed, cardinality(payments), v_total;
    end if;
    v_rate := case when v_high is null then v_rate * 2 else round((v_low + v_high) * 0.5, 30) end;
  end loop;
  return round(1200 * (v_low + v_high) * 0.5, 2);
end;
$$;
comment on function lending_private.annual_percentage_rate(numeric, numeric[]) is
$$The APR, in percent rounded to 2 decimals, of amount_financed repaid by payments[k] due k months after it.

Regulation Z's actuarial method (12 CFR 1026 Appendix J) with a monthly unit period and a regular first period:
the nominal yearly rate 12 * i at which amount_financed = sum payments[k] / (1 + i)^k, found by bisection in exact
numeric arithmetic (the same on every server). 0.00 when the payments sum to amount_financed. Raises a plain
exception when amount_financed is not positive, payments is empty, holds a null or negative payment, or sums to
less than amount_financed.$$;
