//! Evaluation of compiled expressions with zen-expression's semantics, operator by operator
//! (mirrored from its VM): which type pairs are errors, division by zero is null, `and`/`or`
//! need a boolean on the left and return the right operand, `bool()` of a string, intervals.

use std::cmp::Ordering;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use zen_expression::lexer::Bracket;

use super::expr::{ArithOp, CmpOp, Const, Expr, Func};
use crate::rules::value::Val;

/// An evaluation error: zen-engine would fail the same expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault;

impl CmpOp {
    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub(super) fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
        }
    }

    fn holds(self, a: Decimal, b: Decimal) -> bool {
        let order = cmp_num(a, b);
        match self {
            CmpOp::Lt => order.is_lt(),
            CmpOp::Le => order.is_le(),
            CmpOp::Gt => order.is_gt(),
            CmpOp::Ge => order.is_ge(),
        }
    }
}

/// `a.cmp(&b)` on exact integers: the mantissa of the smaller scale is brought to the larger
/// one in `i128` (a decimal's mantissa has 96 bits, so it fits unless the scales are far
/// apart; then rust_decimal's own comparison decides).
fn cmp_num(a: Decimal, b: Decimal) -> Ordering {
    let (scale_a, scale_b) = (a.scale(), b.scale());
    let (ma, mb) = (a.mantissa(), b.mantissa());
    let rescaled = match scale_a.cmp(&scale_b) {
        Ordering::Equal => Some((ma, mb)),
        Ordering::Less => POW10
            .get((scale_b - scale_a) as usize)
            .and_then(|p| ma.checked_mul(*p))
            .map(|ma| (ma, mb)),
        Ordering::Greater => POW10
            .get((scale_a - scale_b) as usize)
            .and_then(|p| mb.checked_mul(*p))
            .map(|mb| (ma, mb)),
    };
    match rescaled {
        Some((ma, mb)) => ma.cmp(&mb),
        None => a.cmp(&b),
    }
}

/// `10^i` for every scale difference a decimal can have (scales are 0..=28).
const POW10: [i128; 29] = {
    let mut table = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

impl Const {
    fn val(&self) -> Val<'_> {
        match self {
            Const::Null => Val::Null,
            Const::Bool(b) => Val::Bool(*b),
            Const::Num(n) => Val::Num(*n),
            Const::Str(s) => Val::Str(s),
        }
    }
}

impl Expr {
    /// Evaluates with zen's semantics; `Err(Fault)` where zen would fail.
    pub fn eval<'p>(&'p self, regs: &[Val<'p>]) -> Result<Val<'p>, Fault> {
        Ok(match self {
            Expr::Const(c) => c.val(),
            Expr::Reg(r) => regs[usize::from(*r)],
            Expr::CmpRegNum(op, reg, n) => match regs[usize::from(*reg)] {
                Val::Num(v) => Val::Bool(op.holds(v, *n)),
                _ => return Err(Fault),
            },
            Expr::EqRegConst(reg, c) => Val::Bool(equal(regs[usize::from(*reg)], c.val())),
            Expr::InRangeReg {
                reg,
                low,
                high,
                left,
                right,
            } => match regs[usize::from(*reg)] {
                Val::Num(v) => Val::Bool(interval_includes(*low, *high, *left, *right, v)?),
                _ => return Err(Fault),
            },
            Expr::Not(e) => match e.eval(regs)? {
                Val::Bool(b) => Val::Bool(!b),
                _ => return Err(Fault),
            },
            Expr::Neg(e) => match e.eval(regs)? {
                Val::Num(n) => Val::Num(-n),
                _ => return Err(Fault),
            },
            Expr::Eq(l, r) => Val::Bool(equal(l.eval(regs)?, r.eval(regs)?)),
            Expr::Cmp(op, l, r) => compare(*op, l.eval(regs)?, r.eval(regs)?)?,
            Expr::And(l, r) => match l.eval(regs)? {
                Val::Bool(false) => Val::Bool(false),
                Val::Bool(true) => r.eval(regs)?,
                _ => return Err(Fault),
            },
            Expr::Or(l, r) => match l.eval(regs)? {
                Val::Bool(true) => Val::Bool(true),
                Val::Bool(false) => r.eval(regs)?,
                _ => return Err(Fault),
            },
            Expr::Coalesce(l, r) => match l.eval(regs)? {
                Val::Null => r.eval(regs)?,
                v => v,
            },
            Expr::Arith(op, l, r) => arith(*op, l.eval(regs)?, r.eval(regs)?)?,
            Expr::InList(item, list) => {
                let item = item.eval(regs)?;
                let mut found = false;
                for member in list {
                    let member = member.eval(regs)?;
                    found |= match (item, member) {
                        (Val::Num(a), Val::Num(b)) => cmp_num(a, b).is_eq(),
                        (Val::Str(a), Val::Str(b)) => a == b,
                        (Val::Bool(a), Val::Bool(b)) => a == b,
                        (Val::Null, Val::Null) => true,
                        _ => false,
                    };
                }
                Val::Bool(found)
            }
            Expr::InInterval {
                item,
                low,
                high,
                left,
                right,
            } => {
                let item = item.eval(regs)?;
                let (Val::Num(low), Val::Num(high)) = (low.eval(regs)?, high.eval(regs)?) else {
                    return Err(Fault);
                };
                let Val::Num(v) = item else { return Err(Fault) };
                Val::Bool(interval_includes(low, high, *left, *right, v)?)
            }
            Expr::Cond(c, t, f) => match c.eval(regs)? {
                Val::Bool(true) => t.eval(regs)?,
                Val::Bool(false) => f.eval(regs)?,
                _ => return Err(Fault),
            },
            Expr::Call(func, args) => {
                let mut values = [Val::Null; 2];
                for (slot, arg) in values.iter_mut().zip(args) {
                    *slot = arg.eval(regs)?;
                }
                call_function(*func, &values[..args.len().min(2)])?
            }
        })
    }
}

fn equal(a: Val<'_>, b: Val<'_>) -> bool {
    match (a, b) {
        (Val::Num(a), Val::Num(b)) => cmp_num(a, b).is_eq(),
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Str(a), Val::Str(b)) => a == b,
        (Val::Null, Val::Null) => true,
        _ => false,
    }
}

fn compare<'p>(op: CmpOp, a: Val<'p>, b: Val<'p>) -> Result<Val<'p>, Fault> {
    let (Val::Num(a), Val::Num(b)) = (a, b) else {
        return Err(Fault);
    };
    Ok(Val::Bool(op.holds(a, b)))
}

fn arith<'p>(op: ArithOp, a: Val<'p>, b: Val<'p>) -> Result<Val<'p>, Fault> {
    let (Val::Num(a), Val::Num(b)) = (a, b) else {
        return Err(Fault);
    };
    Ok(match op {
        ArithOp::Add => Val::Num(a.checked_add(b).ok_or(Fault)?),
        ArithOp::Sub => Val::Num(a.checked_sub(b).ok_or(Fault)?),
        ArithOp::Mul => Val::Num(a.checked_mul(b).ok_or(Fault)?),
        ArithOp::Div => a.checked_div(b).map_or(Val::Null, Val::Num),
        ArithOp::Rem => a.checked_rem(b).map_or(Val::Null, Val::Num),
    })
}

/// zen-expression's `VmInterval::includes`, bracket by bracket.
fn interval_includes(low: Decimal, high: Decimal, left: Bracket, right: Bracket, v: Decimal) -> Result<bool, Fault> {
    let mut is_open = false;
    let first = match left {
        Bracket::LeftParenthesis => cmp_num(low, v).is_lt(),
        Bracket::LeftSquareBracket => cmp_num(low, v).is_le(),
        Bracket::RightParenthesis => {
            is_open = true;
            cmp_num(low, v).is_gt()
        }
        Bracket::RightSquareBracket => {
            is_open = true;
            cmp_num(low, v).is_ge()
        }
        _ => return Err(Fault),
    };
    let second = match right {
        Bracket::RightParenthesis => cmp_num(high, v).is_gt(),
        Bracket::RightSquareBracket => cmp_num(high, v).is_ge(),
        Bracket::LeftParenthesis => cmp_num(high, v).is_lt(),
        Bracket::LeftSquareBracket => cmp_num(high, v).is_le(),
        _ => return Err(Fault),
    };
    Ok(if is_open { first || second } else { first && second })
}

fn call_function<'p>(func: Func, args: &[Val<'p>]) -> Result<Val<'p>, Fault> {
    let number = |i: usize| match args.get(i) {
        Some(Val::Num(n)) => Ok(*n),
        _ => Err(Fault),
    };
    Ok(match func {
        Func::Bool => Val::Bool(match args.first().copied().unwrap_or(Val::Null) {
            Val::Null => false,
            Val::Bool(b) => b,
            Val::Num(n) => !n.is_zero(),
            Val::Str(s) => match s.trim() {
                "true" => true,
                "false" => false,
                _ => s.is_empty(),
            },
        }),
        Func::Abs => Val::Num(number(0)?.abs()),
        Func::Floor => Val::Num(number(0)?.floor()),
        Func::Ceil => Val::Num(number(0)?.ceil()),
        Func::Round => {
            let places = match args.get(1) {
                None => 0,
                Some(Val::Num(n)) => n.to_u32().ok_or(Fault)?,
                Some(_) => return Err(Fault),
            };
            Val::Num(number(0)?.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same-scale shortcut orders numbers as rust_decimal does, zeros of either sign, the
    /// extremes and mixed scales included.
    #[test]
    fn cmp_num_agrees_with_decimal_ord() {
        let mut values = vec![
            Decimal::ZERO,
            -Decimal::ZERO,
            Decimal::MAX,
            Decimal::MIN,
            Decimal::ONE,
            -Decimal::ONE,
        ];
        for text in [
            "0.0", "-0.00", "0.9", "0.90", "-0.9", "1.5", "2", "2.0", "1000", "999.999", "-1000", "0.7",
        ] {
            values.push(text.parse().expect("decimal"));
        }
        let mut rng = seeded::XorShift64::from_state(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2_000 {
            let x = rng.next_u64();
            let mantissa = (x >> 16) as i64 - (1 << 47);
            values.push(Decimal::new(mantissa, (x % 8) as u32));
            values.push(Decimal::from_i128_with_scale(
                i128::from(mantissa) << 40,
                (x % 29) as u32,
            ));
        }
        for &a in &values {
            for &b in values.iter().step_by(13) {
                assert_eq!(cmp_num(a, b), a.cmp(&b), "{a:?} vs {b:?}");
                assert_eq!(cmp_num(b, a), b.cmp(&a), "{b:?} vs {a:?}");
            }
        }
    }
}
