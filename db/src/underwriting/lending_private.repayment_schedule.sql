-- The repayment schedule of a loan: one row per monthly period, every amount in cents, computed exactly.
--
-- The monthly rate is i = annual_rate / 1200 (annual_rate is a percent). Each amount of money is rounded half away
-- from zero to the cent in the period it belongs to, because that is what the borrower is charged; the last period
-- then takes whatever principal is left, with its interest, so the schedule always ends at a balance of exactly 0.00.
-- The cent that rounding a level amount gains or loses each month adds up, and for an annuity it compounds at the
-- loan's rate: at 36% over 480 months it decides the end of the loan (100.00 pays 3.00 of interest alone each month
-- and 103.00 at the end; 250,000.00 at 7,500.01 a month is repaid after 460 months). A period never pays more
-- principal than is left, so a loan the rounding overpays ends early and its remaining periods pay 0.00: no
-- balance or payment is ever negative.
--
-- Nothing goes through an approximation. Every quantity is non-negative, so rounding a quotient a / b half away
-- from zero to an integer is floor(a / b + 1/2) = div(2a + b, 2b), and div() on numeric is an exact long division on
-- every server version; the compound factor (1200 + annual_rate)^n is built from exact numeric multiplications.
-- This is deliberate: numeric's ^ and / choose their own result scale, which differs between PostgreSQL versions
-- (15 gives 1.00665833 ^ 480 to 16 decimals, 18 to 15), and their approximate quotient rounds a payment of exactly
-- half a cent the wrong way: 403.00 at 18% over 2 months pays exactly 206.045, hence 206.05, where the textbook
-- formula written with ^ and / gives 206.04 on both. So a call gives the same cents on every server, and an
-- independent exact calculation (tests/db/underwriting/test_loan_math.py) can check every one of them.
create or replace function lending_private.repayment_schedule(
  principal numeric, annual_rate numeric, term_months integer, amortization text)
returns table (period integer, payment numeric, interest numeric, principal_paid numeric, balance numeric)
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
declare
  v_rate numeric := trim_scale(annual_rate);
  v_remaining numeric := round(principal, 2);
  v_level_principal numeric;  -- equal_principal: the principal of every period but the last
  v_level_payment numeric;    -- annuity: the payment of every period but the last
  v_grown numeric := 1;       -- (1200 + r)^n, so that (1 + i)^n = v_grown / v_flat
  v_flat numeric := 1;        -- 1200^n
  v_grown_base numeric;
  v_flat_base numeric := 1200;
  v_exponent integer := term_months;
begin
  -- An internal function: its callers check what users send, so a violation here is a bug, not a user's problem.
  if principal <= 0 or principal <> round(principal, 2) then
    raise exception 'repayment_schedule: principal must be a positive amount in cents, not %', principal;
  end if;
  -- The exact factor has term_months times as many decimals as the rate: ten is more than any rate is quoted with,
  -- and keeps the factor well inside numeric's range.
  if v_rate < 0 or scale(v_rate) > 10 then
    raise exception 'repayment_schedule: annual_rate must be a percent >= 0 with at most 10 decimals, not %',
      annual_rate;
  end if;
  if term_months not between 1 and 480 then
    raise exception 'repayment_schedule: term_months must be between 1 and 480, not %', term_months;
  end if;
  if amortization not in ('annuity', 'equal_principal') then
    raise exception 'repayment_schedule: amortization must be annuity or equal_principal, not %', amortization;
  end if;

  -- principal / n to the cent (in cents: 100 * principal / n).
  v_level_principal := div(200 * v_remaining + term_months, 2 * term_months) * 0.01;

  if amortization = 'annuity' and v_rate = 0 then
    v_level_payment := v_level_principal;
  elsif amortization = 'annuity' then
    -- Exponentiation by squaring: about 2 * log2(n) exact multiplications.
    v_grown_base := 1200 + v_rate;
    while v_exponent > 0 loop
      if v_exponent % 2 = 1 then
        v_grown := v_grown * v_grown_base;
        v_flat := v_flat * v_flat_base;
      end if;
      v_exponent := v_exponent / 2;
      if v_exponent > 0 then
        v_grown_base := v_grown_base * v_grown_base;
        v_flat_base := v_flat_base * v_flat_base;
      end if;
    end loop;
    -- The textbook payment P*i / (1 - (1+i)^-n) = P*i*X / (X - Y) with X = (1200+r)^n, Y = 1200^n and i = r/1200:
    -- in cents, P*r*X / (12*(X - Y)).
    v_level_payment := div(2 * v_remaining * v_rate * v_grown + 12 * (v_grown - v_flat), 24 * (v_grown - v_flat))
      * 0.01;
  end if;

  for v_period in 1..term_months loop
    period := v_period;
    -- balance * r / 1200 to the cent (in cents: balance * r / 12).
    interest := div(2 * v_remaining * v_rate + 12, 24) * 0.01;
    if v_period = term_months then
      principal_paid := v_remaining;
    elsif amortization = 'annuity' then
      -- The level payment covers the interest: it is at least principal * i rounded, and the balance only falls.
      principal_paid := least(v_level_payment - interest, v_remaining);
    else
      principal_paid := least(v_level_principal, v_remaining);
    end if;
    payment := principal_paid + interest;
    v_remaining := v_remaining - principal_paid;
    balance := v_remaining;
    return next;
  end loop;
end;
$$;
comment on function lending_private.repayment_schedule(numeric, numeric, integer, text) is
$$The monthly repayment schedule of principal at annual_rate percent a year over term_months months.

amortization is 'annuity' (a level payment) or 'equal_principal' (level principal plus each period's interest).
Every amount is rounded half away from zero to the cent each period, and the last period clears the balance to
0.00. Computed exactly, so every server gives the same cents. Raises a plain exception on arguments no caller
should pass (principal not positive cents, a negative rate or one with more than 10 decimals, a term outside
1-480, another amortization).$$;
