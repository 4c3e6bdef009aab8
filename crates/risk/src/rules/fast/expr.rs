//! Compiled expressions of the fast path. Cells are parsed by zen-expression's own parser (so
//! both evaluators read the same syntax); the syntax tree is compiled to [`Expr`], whose paths
//! are already resolved to registers (evaluation is in `eval.rs`).
//!
//! Supported: literals, paths, `$`, `not`/`!`, unary `-`, `== != < <= > >=`, `and`, `or`, `??`,
//! `+ - * / %` on numbers, `in`/`not in` a list or an interval, `?:`, and the functions `bool`,
//! `abs`, `floor`, `ceil`, `round`. Anything else makes the graph fall back to zen-engine.

use std::collections::HashMap;

use bumpalo::Bump;
use rust_decimal::Decimal;
use zen_expression::Isolate;
use zen_expression::functions::{FunctionKind, InternalFunction};
use zen_expression::lexer::{ArithmeticOperator, Bracket, ComparisonOperator, Lexer, LogicalOperator, Operator};
use zen_expression::parser::{Node, Parser};

use super::Unsupported;
use super::shape::{Lookup, Registers, Shape, Source};
use crate::rules::value::Ty;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Bool,
    Abs,
    Floor,
    Ceil,
    Round,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Const {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(Box<str>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Const(Const),
    Reg(u16),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Eq(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Coalesce(Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    InList(Box<Expr>, Vec<Expr>),
    InInterval {
        item: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        left: Bracket,
        right: Bracket,
    },
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    // Shapes that decision-table cells compile to most often, evaluated without recursion
    // (same results as the general forms they replace; see `specialize`).
    /// `register <op> number`.
    CmpRegNum(CmpOp, u16, Decimal),
    /// `register == literal`.
    EqRegConst(u16, Const),
    /// `register in <interval with literal bounds>`.
    InRangeReg {
        reg: u16,
        low: Decimal,
        high: Decimal,
        left: Bracket,
        right: Bracket,
    },
}

/// What `$` means where an expression is compiled.
#[derive(Clone, Debug)]
pub(crate) enum Dollar {
    /// In a decision-table cell with a column field: the field's value, in this register.
    Column(u16),
    /// In an expression node: the keys computed so far, by key.
    Keys(HashMap<String, u16>),
    /// Elsewhere: the fast path does not follow zen's rules there; refuse.
    Refuse,
}

/// Everything compiling one expression needs.
pub(crate) struct Env<'a> {
    pub shape: &'a Shape,
    pub regs: &'a mut Registers,
    pub dollar: &'a Dollar,
}

/// Which of zen's two grammars a cell uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Grammar {
    /// A full expression.
    Standard,
    /// A decision-table input cell with a column field: `> 5`, `"a", "b"`, `[1..5]`, ...
    Unary,
}

/// Parses `source` with zen's parser and compiles it. zen must accept it too (its compiler
/// rejects some trees its parser builds), else the graph is left to zen.
pub(crate) fn compile(source: &str, grammar: Grammar, env: &mut Env<'_>) -> Result<(Expr, Ty), Unsupported> {
    let unsupported = |e: String| Unsupported(format!("{source:?}: {e}"));
    let mut isolate = Isolate::new();
    match grammar {
        Grammar::Standard => isolate.compile_standard(source).map(|_| ()),
        Grammar::Unary => isolate.compile_unary(source).map(|_| ()),
    }
    .map_err(|e| unsupported(e.to_string()))?;
    let bump = Bump::new();
    let tokens = Lexer::new()
        .tokenize(&bump, source)
        .map_err(|e| unsupported(e.to_string()))?;
    let parser = Parser::try_new(&tokens, &bump).map_err(|e| unsupported(e.to_string()))?;
    let parsed = match grammar {
        Grammar::Standard => parser.standard().parse(),
        Grammar::Unary => parser.unary().parse(),
    };
    parsed.error().map_err(|e| unsupported(e.to_string()))?;
    let (expr, ty) = node(parsed.root, env).map_err(|Unsupported(e)| unsupported(e))?;
    Ok((specialize(expr), ty))
}

/// Rewrites comparisons of a register with literals into the flat forms.
fn specialize(expr: Expr) -> Expr {
    let s = |e: Box<Expr>| Box::new(specialize(*e));
    match expr {
        Expr::Cmp(op, l, r) => match (*l, *r) {
            (Expr::Reg(reg), Expr::Const(Const::Num(n))) => Expr::CmpRegNum(op, reg, n),
            (Expr::Const(Const::Num(n)), Expr::Reg(reg)) => Expr::CmpRegNum(op.flipped(), reg, n),
            (l, r) => Expr::Cmp(op, Box::new(specialize(l)), Box::new(specialize(r))),
        },
        Expr::Eq(l, r) => match (*l, *r) {
            (Expr::Reg(reg), Expr::Const(c)) | (Expr::Const(c), Expr::Reg(reg)) => Expr::EqRegConst(reg, c),
            (l, r) => Expr::Eq(Box::new(specialize(l)), Box::new(specialize(r))),
        },
        Expr::InInterval {
            item,
            low,
            high,
            left,
            right,
        } => match (*item, *low, *high) {
            (Expr::Reg(reg), Expr::Const(Const::Num(low)), Expr::Const(Const::Num(high))) => Expr::InRangeReg {
                reg,
                low,
                high,
                left,
                right,
            },
            (item, low, high) => Expr::InInterval {
                item: Box::new(specialize(item)),
                low: Box::new(specialize(low)),
                high: Box::new(specialize(high)),
                left,
                right,
            },
        },
        Expr::Not(e) => Expr::Not(s(e)),
        Expr::Neg(e) => Expr::Neg(s(e)),
        Expr::And(l, r) => Expr::And(s(l), s(r)),
        Expr::Or(l, r) => Expr::Or(s(l), s(r)),
        Expr::Coalesce(l, r) => Expr::Coalesce(s(l), s(r)),
        Expr::Arith(op, l, r) => Expr::Arith(op, s(l), s(r)),
        Expr::InList(item, list) => Expr::InList(s(item), list.into_iter().map(specialize).collect()),
        Expr::Cond(c, t, f) => Expr::Cond(s(c), s(t), s(f)),
        Expr::Call(func, args) => Expr::Call(func, args.into_iter().map(specialize).collect()),
        other => other,
    }
}

fn boxed(node_: &Node<'_>, env: &mut Env<'_>) -> Result<(Box<Expr>, Ty), Unsupported> {
    node(node_, env).map(|(e, t)| (Box::new(e), t))
}

fn node(n: &Node<'_>, env: &mut Env<'_>) -> Result<(Expr, Ty), Unsupported> {
    Ok(match n {
        Node::Null => (Expr::Const(Const::Null), Ty::NULL),
        Node::Bool(b) => (Expr::Const(Const::Bool(*b)), Ty::BOOL),
        Node::Number(d) => (Expr::Const(Const::Num(*d)), Ty::NUM),
        Node::String(s) => (Expr::Const(Const::Str((*s).into())), Ty::STR),
        Node::Parenthesized(inner) => node(inner, env)?,
        Node::Identifier(_) | Node::Member { .. } => path(n, env)?,
        Node::Unary { node: inner, operator } => unary(*operator, inner, env)?,
        Node::Binary { left, operator, right } => binary(*operator, left, right, env)?,
        Node::Conditional {
            condition,
            on_true,
            on_false,
        } => {
            let (c, _) = boxed(condition, env)?;
            let (t, tt) = boxed(on_true, env)?;
            let (f, tf) = boxed(on_false, env)?;
            (Expr::Cond(c, t, f), tt.or(tf))
        }
        Node::FunctionCall {
            kind: FunctionKind::Internal(function),
            arguments,
        } => call(*function, arguments, env)?,
        other => {
            let name: &'static str = other.into();
            return Err(Unsupported(format!("{name} is not supported by the fast path")));
        }
    })
}

/// `a.b.c` (or `$`, `$.key`) as a list of segments.
fn segments<'a>(n: &'a Node<'a>, out: &mut Vec<&'a str>) -> Result<(), Unsupported> {
    match n {
        Node::Identifier(name) => {
            out.push(name);
            Ok(())
        }
        Node::Member {
            node: inner,
            property: Node::String(key),
        } => {
            segments(inner, out)?;
            out.push(key);
            Ok(())
        }
        _ => Err(Unsupported("only plain a.b.c paths are supported".to_owned())),
    }
}

fn path(n: &Node<'_>, env: &mut Env<'_>) -> Result<(Expr, Ty), Unsupported> {
    let mut parts = Vec::new();
    segments(n, &mut parts)?;
    if parts.first() == Some(&"$") {
        return dollar_path(&parts[1..], env);
    }
    if parts.iter().any(|p| p.starts_with('$') || p.contains('.')) {
        return Err(Unsupported(format!("path {} is not supported", parts.join("."))));
    }
    let joined = parts.join(".");
    match env.shape.lookup(&joined) {
        Lookup::Missing => Ok((Expr::Const(Const::Null), Ty::NULL)),
        Lookup::Object => Err(Unsupported(format!("{joined} is an object"))),
        Lookup::Value(Source::List(_)) => Err(Unsupported(format!("{joined} is a list"))),
        Lookup::Value(Source::Reg(reg)) => Ok((Expr::Reg(reg), env.regs.types[usize::from(reg)])),
        Lookup::Value(Source::Field(field)) => {
            let reg = env.regs.for_field(field)?;
            Ok((Expr::Reg(reg), env.regs.types[usize::from(reg)]))
        }
    }
}

fn dollar_path(rest: &[&str], env: &mut Env<'_>) -> Result<(Expr, Ty), Unsupported> {
    match env.dollar {
        Dollar::Column(reg) if rest.is_empty() => Ok((Expr::Reg(*reg), env.regs.types[usize::from(*reg)])),
        // A member of a scalar is null (the column field is never an object here).
        Dollar::Column(_) => Ok((Expr::Const(Const::Null), Ty::NULL)),
        Dollar::Keys(keys) if !rest.is_empty() => {
            let joined = rest.join(".");
            if let Some(reg) = keys.get(&joined) {
                return Ok((Expr::Reg(*reg), env.regs.types[usize::from(*reg)]));
            }
            let prefix = format!("{joined}.");
            if keys.keys().any(|k| k.starts_with(&prefix)) {
                return Err(Unsupported(format!("$.{joined} is an object")));
            }
            Ok((Expr::Const(Const::Null), Ty::NULL))
        }
        _ => Err(Unsupported("`$` is not supported here".to_owned())),
    }
}

fn unary(op: Operator, inner: &Node<'_>, env: &mut Env<'_>) -> Result<(Expr, Ty), Unsupported> {
    let (e, t) = boxed(inner, env)?;
    Ok(match op {
        Operator::Arithmetic(ArithmeticOperator::Add) => (*e, t),
        Operator::Arithmetic(ArithmeticOperator::Subtract) => (Expr::Neg(e), Ty::NUM),
        Operator::Logical(LogicalOperator::Not) => (Expr::Not(e), Ty::BOOL),
        other => return Err(Unsupported(format!("unary operator {other}"))),
    })
}

fn binary(op: Operator, left: &Node<'_>, right: &Node<'_>, env: &mut Env<'_>) -> Result<(Expr, Ty), Unsupported> {
    use ComparisonOperator as C;
    if let Operator::Comparison(c @ (C::In | C::NotIn)) = op {
        let expr = membership(left, right, env)?;
        let expr = if c == C::NotIn { Expr::Not(Box::new(expr)) } else { expr };
        return Ok((expr, Ty::BOOL));
    }
    let (l, tl) = boxed(left, env)?;
    let (r, tr) = boxed(right, env)?;
    let cmp = |op| (Expr::Cmp(op, l.clone(), r.clone()), Ty::BOOL);
    Ok(match op {
        Operator::Comparison(C::Equal) => (Expr::Eq(l, r), Ty::BOOL),
        Operator::Comparison(C::NotEqual) => (Expr::Not(Box::new(Expr::Eq(l, r))), Ty::BOOL),
        Operator::Comparison(C::LessThan) => cmp(CmpOp::Lt),
        Operator::Comparison(C::LessThanOrEqual) => cmp(CmpOp::Le),
        Operator::Comparison(C::GreaterThan) => cmp(CmpOp::Gt),
        Operator::Comparison(C::GreaterThanOrEqual) => cmp(CmpOp::Ge),
        Operator::Logical(LogicalOperator::And) => (Expr::And(l, r), Ty::BOOL.or(tr)),
        Operator::Logical(LogicalOperator::Or) => (Expr::Or(l, r), Ty::BOOL.or(tr)),
        Operator::Logical(LogicalOperator::NullishCoalescing) => (Expr::Coalesce(l, r), tl.without(Ty::NULL).or(tr)),
        Operator::Arithmetic(a) => arithmetic(a, l, tl, r, tr)?,
        other => return Err(Unsupported(format!("operator {other}"))),
    })
}

fn arithmetic(op: ArithmeticOperator, l: Box<Expr>, tl: Ty, r: Box<Expr>, tr: Ty) -> Result<(Expr, Ty), Unsupported> {
    let op = match op {
        // zen concatenates two strings with `+`; the fast path has no owned strings.
        ArithmeticOperator::Add if tl.may_be(Ty::STR) || tr.may_be(Ty::STR) => {
            return Err(Unsupported("`+` on strings".to_owned()));
        }
        ArithmeticOperator::Add => ArithOp::Add,
        ArithmeticOperator::Subtract => ArithOp::Sub,
        ArithmeticOperator::Multiply => ArithOp::Mul,
        ArithmeticOperator::Divide => ArithOp::Div,
        ArithmeticOperator::Modulus => ArithOp::Rem,
        ArithmeticOperator::Power => return Err(Unsupported("`^`".to_owned())),
    };
    let ty = match op {
        ArithOp::Div | ArithOp::Rem => Ty::NUM.or(Ty::NULL),
        _ => Ty::NUM,
    };
    Ok((Expr::Arith(op, l, r), ty))
}

/// `item in [a, b]`, `item in [1..5]`, `item in (0..1]`.
fn membership(item: &Node<'_>, set: &Node<'_>, env: &mut Env<'_>) -> Result<Expr, Unsupported> {
    let (item, _) = boxed(item, env)?;
    match set {
        Node::Array(members) => {
            let list = members
                .iter()
                .map(|m| node(m, env).map(|(e, _)| e))
                .collect::<Result<_, _>>()?;
            Ok(Expr::InList(item, list))
        }
        Node::Interval {
            left,
            right,
            left_bracket,
            right_bracket,
        } => Ok(Expr::InInterval {
            item,
            low: boxed(left, env)?.0,
            high: boxed(right, env)?.0,
            left: *left_bracket,
            right: *right_bracket,
        }),
        _ => Err(Unsupported("`in` needs a literal list or interval".to_owned())),
    }
}

fn call(function: InternalFunction, arguments: &[&Node<'_>], env: &mut Env<'_>) -> Result<(Expr, Ty), Unsupported> {
    let (func, ty) = match function {
        InternalFunction::Bool => (Func::Bool, Ty::BOOL),
        InternalFunction::Abs => (Func::Abs, Ty::NUM),
        InternalFunction::Floor => (Func::Floor, Ty::NUM),
        InternalFunction::Ceil => (Func::Ceil, Ty::NUM),
        InternalFunction::Round => (Func::Round, Ty::NUM),
        other => return Err(Unsupported(format!("function {other}"))),
    };
    let args = arguments
        .iter()
        .map(|a| node(a, env).map(|(e, _)| e))
        .collect::<Result<_, _>>()?;
    Ok((Expr::Call(func, args), ty))
}
