//! Compiled decision tables of the fast path, with zen-engine's hit policies:
//! - first: the first row whose input cells pass and whose output cells evaluate;
//! - first with collect columns (an output field ending in `[]`): scalar outputs from the first
//!   such row, the collect columns gathered from every such row in order.
//!
//! A cell with a column field is a unary test of that field's value (`$`); a failing field
//! expression or a non-boolean result fails the cell, as in zen-engine. An output cell that
//! fails makes its row not match. The pure collect policy falls back to zen-engine.

use std::collections::HashMap;
use std::sync::Arc;

use zen_engine::model::{DecisionTableContent, DecisionTableHitPolicy};

use super::Unsupported;
use super::expr::{Dollar, Env, Expr, Grammar, compile};
use super::shape::{Registers, Shape, Source};
use crate::rules::value::{Ty, Val};

/// The most output columns a table may have on the fast path (outputs of a row are staged in
/// a fixed array before they are committed).
const MAX_OUTPUTS: usize = 16;

#[derive(Debug)]
struct Column {
    /// For a column with a field (unary cells): the expression computing it, unless the field
    /// is a plain path (then its register is read directly), and the register holding it.
    field: Option<(Option<Expr>, u16)>,
}

#[derive(Debug)]
struct Row {
    /// (column, test) for every non-empty input cell.
    tests: Vec<(usize, Expr)>,
    /// (output column, value) for every non-empty output cell.
    outputs: Vec<(usize, Expr)>,
}

#[derive(Clone, Copy, Debug)]
enum Target {
    /// A scalar output column: the register it writes.
    Scalar(u16),
    /// A collect column: the list it appends to.
    Collect(u16),
    /// An output column with an empty field: ignored, as zen-engine does.
    Ignored,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub name: Arc<str>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    targets: Vec<Target>,
    collect: bool,
}

/// Where a table's outputs go; `shape` gets the output paths.
pub(crate) struct TableSink<'a> {
    pub shape: &'a mut Shape,
    /// Prefix for every output path (a node's `outputPath`).
    pub prefix: Option<&'a str>,
    /// Whether collect columns are allowed (only in the last node).
    pub allow_collect: bool,
}

impl Table {
    pub fn compile(
        name: Arc<str>,
        content: &DecisionTableContent,
        input: &Shape,
        regs: &mut Registers,
        sink: TableSink<'_>,
    ) -> Result<Table, Unsupported> {
        if content.hit_policy == DecisionTableHitPolicy::Collect {
            return Err(Unsupported("the collect hit policy".to_owned()));
        }
        if content.outputs.len() > MAX_OUTPUTS {
            return Err(Unsupported(format!("more than {MAX_OUTPUTS} output columns")));
        }
        let columns = compile_columns(content, input, regs)?;
        let (targets, collect) = compile_targets(content, regs, sink)?;
        let mut rows = Vec::with_capacity(content.rules.len());
        let mut output_types = vec![Ty::NULL; targets.len()];
        for rule in content.rules.iter() {
            let (row, types) = compile_row(rule, content, &columns, input, regs)?;
            for (column, ty) in types {
                output_types[column] = output_types[column].or(ty);
            }
            rows.push(row);
        }
        // A scalar output holds what its cells compute, or null when no row fired.
        for (target, ty) in targets.iter().zip(output_types) {
            if let Target::Scalar(reg) = target {
                regs.types[usize::from(*reg)] = ty;
            }
        }
        Ok(Table {
            name,
            columns,
            rows,
            targets,
            collect,
        })
    }

    /// Runs the table; returns the rows that fired. Scalar outputs of rows that did not fire
    /// read as null; lists are `None` when no row fired.
    pub fn eval<'p>(&'p self, regs: &mut [Val<'p>], lists: &mut [Option<Vec<Val<'p>>>]) -> Vec<u32> {
        let mut field_ok = 0u64;
        for (i, column) in self.columns.iter().enumerate() {
            match &column.field {
                Some((Some(expr), reg)) => {
                    if let Ok(value) = expr.eval(regs) {
                        regs[usize::from(*reg)] = value;
                        field_ok |= 1 << i;
                    }
                }
                Some((None, _)) => field_ok |= 1 << i,
                None => {}
            }
        }
        for target in &self.targets {
            match target {
                Target::Scalar(reg) => regs[usize::from(*reg)] = Val::Null,
                Target::Collect(list) => lists[usize::from(*list)] = None,
                Target::Ignored => {}
            }
        }
        let mut fired = Vec::new();
        let mut scalars_done = false;
        for (index, row) in self.rows.iter().enumerate() {
            if !self.row_passes(row, regs, field_ok) {
                continue;
            }
            let Some(staged) = self.stage(row, regs, !scalars_done) else {
                continue;
            };
            self.commit(row, &staged, regs, lists, !scalars_done);
            scalars_done = true;
            fired.push(index as u32);
            if !self.collect {
                break;
            }
        }
        if !fired.is_empty() {
            for target in &self.targets {
                if let Target::Collect(list) = target {
                    lists[usize::from(*list)].get_or_insert_with(Vec::new);
                }
            }
        }
        fired
    }

    fn row_passes(&self, row: &Row, regs: &[Val<'_>], field_ok: u64) -> bool {
        row.tests.iter().all(|(column, test)| {
            let has_field = self.columns[*column].field.is_some();
            if has_field && field_ok & (1 << column) == 0 {
                return false;
            }
            matches!(test.eval(regs), Ok(Val::Bool(true)))
        })
    }

    /// Evaluates the row's outputs (scalars only when `scalars`); `None` if one fails.
    fn stage<'p>(&'p self, row: &'p Row, regs: &[Val<'p>], scalars: bool) -> Option<[Val<'p>; MAX_OUTPUTS]> {
        let mut staged = [Val::Null; MAX_OUTPUTS];
        for (column, expr) in &row.outputs {
            let wanted = match self.targets[*column] {
                Target::Scalar(_) => scalars,
                Target::Collect(_) => true,
                Target::Ignored => false,
            };
            if wanted {
                staged[*column] = expr.eval(regs).ok()?;
            }
        }
        Some(staged)
    }

    fn commit<'p>(
        &self,
        row: &Row,
        staged: &[Val<'p>; MAX_OUTPUTS],
        regs: &mut [Val<'p>],
        lists: &mut [Option<Vec<Val<'p>>>],
        scalars: bool,
    ) {
        for (column, _) in &row.outputs {
            match self.targets[*column] {
                Target::Scalar(reg) if scalars => regs[usize::from(reg)] = staged[*column],
                Target::Collect(list) => lists[usize::from(list)]
                    .get_or_insert_with(Vec::new)
                    .push(staged[*column]),
                _ => {}
            }
        }
    }
}

fn compile_columns(
    content: &DecisionTableContent,
    input: &Shape,
    regs: &mut Registers,
) -> Result<Vec<Column>, Unsupported> {
    if content.inputs.len() > 64 {
        return Err(Unsupported("more than 64 input columns".to_owned()));
    }
    content
        .inputs
        .iter()
        .map(|column| {
            let Some(field) = column.field.as_deref().filter(|f| !f.is_empty()) else {
                return Ok(Column { field: None });
            };
            let mut env = Env {
                shape: input,
                regs,
                dollar: &Dollar::Refuse,
            };
            let (expr, ty) = compile(field, Grammar::Standard, &mut env)?;
            let field = match expr {
                Expr::Reg(reg) => (None, reg),
                expr => (Some(expr), regs.new_reg(ty)?),
            };
            Ok(Column { field: Some(field) })
        })
        .collect()
}

fn compile_targets(
    content: &DecisionTableContent,
    regs: &mut Registers,
    sink: TableSink<'_>,
) -> Result<(Vec<Target>, bool), Unsupported> {
    let mut targets = Vec::with_capacity(content.outputs.len());
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut collect = false;
    for output in content.outputs.iter() {
        let (path, is_collect) = output.write_path();
        if path.is_empty() {
            targets.push(Target::Ignored);
            continue;
        }
        if seen.insert(path.to_owned(), ()).is_some() {
            return Err(Unsupported(format!("two output columns write {path:?}")));
        }
        let full = match sink.prefix {
            Some(prefix) => format!("{prefix}.{path}"),
            None => path.to_owned(),
        };
        let target = if is_collect {
            if !sink.allow_collect {
                return Err(Unsupported("collect columns outside the last node".to_owned()));
            }
            collect = true;
            let list = regs.new_list();
            sink.shape.insert(full, Source::List(list))?;
            Target::Collect(list)
        } else {
            let reg = regs.new_reg(Ty::NULL)?;
            sink.shape.insert(full, Source::Reg(reg))?;
            Target::Scalar(reg)
        };
        targets.push(target);
    }
    Ok((targets, collect))
}

fn compile_row(
    rule: &ahash::HashMap<Arc<str>, Arc<str>>,
    content: &DecisionTableContent,
    columns: &[Column],
    input: &Shape,
    regs: &mut Registers,
) -> Result<(Row, Vec<(usize, Ty)>), Unsupported> {
    let mut tests = Vec::new();
    for (index, column) in content.inputs.iter().enumerate() {
        let Some(cell) = rule.get(&column.id).filter(|c| !c.is_empty()) else {
            continue;
        };
        let (dollar, grammar) = match &columns[index].field {
            Some((_, reg)) => (Dollar::Column(*reg), Grammar::Unary),
            None => (Dollar::Refuse, Grammar::Standard),
        };
        let mut env = Env {
            shape: input,
            regs,
            dollar: &dollar,
        };
        tests.push((index, compile(cell, grammar, &mut env)?.0));
    }
    let mut outputs = Vec::new();
    let mut types = Vec::new();
    for (index, column) in content.outputs.iter().enumerate() {
        let Some(cell) = rule.get(&column.id).filter(|c| !c.is_empty()) else {
            continue;
        };
        let mut env = Env {
            shape: input,
            regs,
            dollar: &Dollar::Refuse,
        };
        let (expr, ty) = compile(cell, Grammar::Standard, &mut env)?;
        outputs.push((index, expr));
        types.push((index, ty));
    }
    Ok((Row { tests, outputs }, types))
}
