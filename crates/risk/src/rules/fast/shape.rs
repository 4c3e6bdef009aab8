//! Compile-time bookkeeping of the fast path: which value every path of a node's input holds
//! ([`Shape`]), and the register file ([`Registers`]) values live in at run time.
//!
//! zen-engine passes JSON objects from node to node; the fast path knows at compile time which
//! paths exist after each node (the context fields, plus what each node adds), so every path an
//! expression reads resolves once to a register, a missing path to null, and only the register
//! values move at run time.

use std::collections::HashMap;

use super::Unsupported;
use crate::rules::context::{field_index, fields, is_object_path};
use crate::rules::value::Ty;

/// Where a path's value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A context field (loaded into a register on first use).
    Field(usize),
    Reg(u16),
    /// A list built by a collect column of a decision table.
    List(u16),
}

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    Value(Source),
    /// Nothing there: reads as null.
    Missing,
    /// An object (the fast path does not compute with objects).
    Object,
}

/// The paths of one node's input (or output).
#[derive(Clone, Debug, Default)]
pub(crate) struct Shape {
    /// Whether every context field is present (true until a node drops its input).
    context: bool,
    entries: Vec<(String, Source)>,
}

impl Shape {
    pub fn context() -> Shape {
        Shape {
            context: true,
            entries: Vec::new(),
        }
    }

    pub fn empty() -> Shape {
        Shape::default()
    }

    pub fn lookup(&self, path: &str) -> Lookup {
        if let Some((_, source)) = self.entries.iter().find(|(p, _)| p == path) {
            return Lookup::Value(*source);
        }
        if self.context
            && let Some(index) = field_index(path)
        {
            return Lookup::Value(Source::Field(index));
        }
        if self.is_object(path) {
            return Lookup::Object;
        }
        Lookup::Missing
    }

    fn is_object(&self, path: &str) -> bool {
        let under = |p: &str| p.len() > path.len() && p.starts_with(path) && p.as_bytes()[path.len()] == b'.';
        self.entries.iter().any(|(p, _)| under(p)) || (self.context && is_object_path(path))
    }

    /// Whether writing a value at `path` would replace (part of) something already there.
    pub fn collides(&self, path: &str) -> bool {
        if !matches!(self.lookup(path), Lookup::Missing) {
            return true;
        }
        let mut prefix_end = path.find('.');
        while let Some(end) = prefix_end {
            if matches!(self.lookup(&path[..end]), Lookup::Value(_)) {
                return true;
            }
            prefix_end = path[end + 1..].find('.').map(|i| end + 1 + i);
        }
        false
    }

    /// Adds `path`, refusing a path that collides with one already there.
    pub fn insert(&mut self, path: String, source: Source) -> Result<(), Unsupported> {
        if path.is_empty() || self.collides(&path) {
            return Err(Unsupported(format!("output path {path:?} overlaps another path")));
        }
        self.entries.push((path, source));
        Ok(())
    }

    /// Every (path, source) pair, context fields included.
    pub fn all(&self) -> Vec<(String, Source)> {
        let mut all = self.entries.clone();
        if self.context {
            for (index, field) in fields().iter().enumerate() {
                all.push((field.path.to_owned(), Source::Field(index)));
            }
        }
        all
    }
}

/// The register file: context fields get a register the first time a path reads them.
#[derive(Debug, Default)]
pub(crate) struct Registers {
    pub types: Vec<Ty>,
    /// (register, field) pairs loaded at the start of every evaluation.
    pub inputs: Vec<(u16, usize)>,
    field_regs: HashMap<usize, u16>,
    pub lists: u16,
}

impl Registers {
    pub fn new_reg(&mut self, ty: Ty) -> Result<u16, Unsupported> {
        let reg = u16::try_from(self.types.len()).map_err(|_| Unsupported("too many values".to_owned()))?;
        self.types.push(ty);
        Ok(reg)
    }

    pub fn for_field(&mut self, field: usize) -> Result<u16, Unsupported> {
        if let Some(reg) = self.field_regs.get(&field) {
            return Ok(*reg);
        }
        let reg = self.new_reg(fields()[field].ty)?;
        self.inputs.push((reg, field));
        self.field_regs.insert(field, reg);
        Ok(reg)
    }

    pub fn new_list(&mut self) -> u16 {
        self.lists += 1;
        self.lists - 1
    }
}
