//! Runs the scenario files in `tests/scenarios/`: a line-based script of commands and
//! hand-computed expectations, checked against the ledger invariants after every step.
//!
//! ```text
//! # comment
//! on 2026-01-03            (the business day, 12:00 local; `on 2026-01-03 09:30` for a time)
//! open limit=10000.00 billing_day=5
//! authorize txn=1 amount=100.00 plan=3:flat-fee[:0.5%]
//! capture txn=1 amount=100.00
//! repay amount=10.00
//! capture txn=9 amount=1.00 => txn_not_found      (the command must be refused with this code)
//! expect available=9900.00 dpd=0 bucket=current   (balances; amounts in yuan)
//! expect statement=1 balance=100.00 minimum=10.00 due_date=2026-01-14
//! expect plan=1 remaining_principal=66.67 status=active
//! expect ledger principal_receivable=100.00 fee_income=-1.50
//! exempt txns=1,2          (fraud exemption with the account's recorded history;
//!                          `history=truncated` drops its last command)
//! ```
//! Every command may name `account=N` (default 1). Each command's time is one second after the
//! previous one on the same day, so capture order is the line order.

use std::collections::BTreeMap;
use std::path::Path;

use credit::ledger::LedgerAccount;
use credit::{AccountId, Book, Command, Day, MerchantId, OpId, PlanChoice, PlanId, Product, Recorded, TxnId};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use money::schedule::{Method, PeriodRate};
use money::{Amount, Rate};

pub fn shanghai() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(8))
}

struct Runner {
    book: Book,
    now: Timestamp,
    history: BTreeMap<u64, Vec<Recorded>>,
    next_op: u64,
    file: String,
}

type Args = BTreeMap<String, String>;

fn parse_args(words: &[&str]) -> Args {
    words
        .iter()
        .map(|w| {
            let (k, v) = w
                .split_once('=')
                .unwrap_or_else(|| panic!("expected key=value, got {w:?}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn yuan(text: &str) -> Amount {
    Amount::parse_yuan(text).unwrap_or_else(|e| panic!("{e}"))
}

fn plan_choice(text: &str) -> PlanChoice {
    let mut parts = text.split(':');
    let periods = parts.next().unwrap().parse().unwrap();
    let method: Method = parts.next().unwrap_or("flat-fee").parse().unwrap();
    let rate = parts.next().map(|r| {
        if let Some(annual) = r.strip_suffix("/y") {
            PeriodRate::annual(Rate::parse(annual).unwrap())
        } else {
            PeriodRate::per_period(Rate::parse(r).unwrap())
        }
    });
    PlanChoice { periods, method, rate }
}

impl Runner {
    fn new(product: Product, file: &str) -> Runner {
        Runner {
            book: Book::new(product, shanghai()),
            now: Timestamp::UNIX_EPOCH,
            history: BTreeMap::new(),
            next_op: 1,
            file: file.to_owned(),
        }
    }

    fn set_day(&mut self, words: &[&str]) {
        let day: Day = words[0].parse().unwrap();
        let time = words.get(1).copied().unwrap_or("12:00");
        let text = format!("{day}T{time}:00+08:00");
        let at: Timestamp = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(at >= self.now, "{}: time goes backwards at {text}", self.file);
        self.now = at;
    }

    fn command(&mut self, verb: &str, args: &Args) -> Command {
        let account = AccountId(args.get("account").map_or(1, |a| a.parse().unwrap()));
        let get = |k: &str| args.get(k).unwrap_or_else(|| panic!("{verb} needs {k}="));
        let txn = || TxnId(get("txn").parse().unwrap());
        let amount = || yuan(get("amount"));
        let mut op = || {
            let op = args.get("op").map_or(self.next_op, |o| o.parse().unwrap());
            self.next_op += 1;
            OpId(op)
        };
        match verb {
            "open" => Command::OpenAccount {
                account,
                limit: yuan(get("limit")),
                billing_day: get("billing_day").parse().unwrap(),
            },
            "limit" => Command::ChangeLimit {
                account,
                limit: yuan(get("limit")),
            },
            "temp_limit" => Command::SetTemporaryLimit {
                account,
                amount: amount(),
                expires_on: get("expires_on").parse().unwrap(),
            },
            "freeze" => Command::Freeze {
                account,
                reason: credit::FreezeReason::TheftReport,
            },
            "unfreeze" => Command::Unfreeze { account },
            "authorize" => Command::Authorize {
                account,
                txn: txn(),
                merchant: MerchantId(args.get("merchant").map_or(1, |m| m.parse().unwrap())),
                amount: amount(),
                plan: args.get("plan").map(|p| plan_choice(p)),
            },
            "capture" => Command::Capture {
                account,
                txn: txn(),
                amount: amount(),
            },
            "void" => Command::Void { account, txn: txn() },
            "refund" => Command::Refund {
                account,
                txn: txn(),
                op: op(),
                amount: amount(),
            },
            "repay" => Command::Repay {
                account,
                op: op(),
                amount: amount(),
            },
            "payoff" => Command::EarlyPayoff {
                account,
                op: op(),
                plan: PlanId(get("plan").parse().unwrap()),
                amount: amount(),
            },
            "bill_installment" => Command::BillInstallment {
                account,
                plan: PlanId(get("plan").parse().unwrap()),
                statement: get("statement").parse().unwrap(),
                choice: plan_choice(get("choice")),
            },
            "cash_out" => Command::CashOutCredit {
                account,
                op: op(),
                amount: amount(),
            },
            "advance" => Command::Advance,
            "exempt" => Command::ExemptFraud {
                account,
                txns: get("txns").split(',').map(|t| TxnId(t.parse().unwrap())).collect(),
                history: {
                    let mut history = self.history.get(&account.0).cloned().unwrap_or_default();
                    if args.get("history").map(String::as_str) == Some("truncated") {
                        history.pop();
                    }
                    history
                },
            },
            other => panic!("{}: unknown command {other}", self.file),
        }
    }

    fn run_command(&mut self, verb: &str, words: &[&str], line_no: usize) {
        let (words, expected) = match words.iter().position(|w| *w == "=>") {
            Some(i) => (&words[..i], Some(words[i + 1])),
            None => (words, None),
        };
        let args = parse_args(words);
        let command = self.command(verb, &args);
        self.now = self.now.checked_add(jiff::SignedDuration::from_secs(1)).unwrap();
        let mut events = Vec::new();
        let result = self.book.apply(self.now, &command, &mut events);
        let place = format!("{}:{line_no}", self.file);
        match (result, expected) {
            (Ok(()), None) => {
                if let Some(account) = command.account() {
                    self.history
                        .entry(account.0)
                        .or_default()
                        .push(Recorded { at: self.now, command });
                }
            }
            (Ok(()), Some(code)) => panic!("{place}: expected rejection {code}, but it was applied"),
            (Err(rejection), None) => panic!("{place}: rejected: {} ({rejection})", rejection.code()),
            (Err(rejection), Some(code)) => assert_eq!(rejection.code(), code, "{place}"),
        }
        if let Err(violation) = credit::invariants::check_book(&self.book) {
            panic!("{place}: invariant broken: {violation}");
        }
    }

    fn expect(&mut self, words: &[&str], line_no: usize) {
        let place = format!("{}:{line_no}", self.file);
        // Bring every account to the current day, as the scheduler would.
        self.book.apply(self.now, &Command::Advance, &mut Vec::new()).unwrap();
        credit::invariants::check_book(&self.book).unwrap_or_else(|v| panic!("{place}: invariant broken: {v}"));
        let ledger = words.first() == Some(&"ledger");
        let mut args = parse_args(if ledger { &words[1..] } else { words });
        let account_id = AccountId(args.remove("account").map_or(1, |a| a.parse().unwrap()));
        let account = self
            .book
            .account(account_id)
            .unwrap_or_else(|| panic!("{place}: no account"));
        let facts = if let Some(seq) = args.remove("statement") {
            let seq: u32 = seq.parse().unwrap();
            let s = account
                .statement(seq)
                .unwrap_or_else(|| panic!("{place}: no statement {seq}"));
            facts_of_statement(s)
        } else if let Some(plan) = args.remove("plan") {
            let view = account
                .plan_view(PlanId(plan.parse().unwrap()), self.book.product())
                .unwrap_or_else(|| panic!("{place}: no plan {plan}"));
            facts_of_plan(&view)
        } else if ledger {
            LedgerAccount::ALL
                .iter()
                .map(|a| (a.as_str().to_owned(), account.ledger.get(*a).to_string()))
                .collect()
        } else {
            facts_of_balances(account, self.book.product())
        };
        for (key, want) in &args {
            let got = facts
                .get(key)
                .unwrap_or_else(|| panic!("{place}: unknown fact {key}; known: {:?}", facts.keys()));
            assert_eq!(got, want, "{place}: {key}");
        }
    }
}

fn facts_of_balances(account: &credit::Account, product: &Product) -> BTreeMap<String, String> {
    let b = account.balances(product);
    let mut f = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_owned(), v);
    };
    put("limit", b.limit.to_string());
    put("temporary_limit", b.temporary_limit.to_string());
    put("available", b.available.to_string());
    put("held", b.held.to_string());
    put("principal_billed", b.principal_billed.to_string());
    put("principal_unbilled", b.principal_unbilled.to_string());
    put("fees", b.fees.to_string());
    put("interest", b.interest.to_string());
    put("penalties", b.penalties.to_string());
    put("billed", b.billed.to_string());
    put("credit_balance", b.credit_balance.to_string());
    put("accrued_interest", b.accrued_interest.to_string());
    put("accrued_penalties", b.accrued_penalties.to_string());
    put("pending_penalty", account.pending_penalty().to_string());
    put("minimum_unpaid", b.minimum_unpaid.to_string());
    put("past_due", b.past_due.to_string());
    put("dpd", b.dpd.to_string());
    put("bucket", b.bucket.as_str().to_owned());
    put("next_statement", b.next_statement.to_string());
    put(
        "next_due_date",
        b.next_due_date.map_or("none".into(), |d| d.to_string()),
    );
    put("frozen", b.frozen.is_some().to_string());
    put("charged_off", b.charged_off_on.map_or("no".into(), |d| d.to_string()));
    let exempt: Vec<String> = account.exempt.iter().map(|t| t.0.to_string()).collect();
    put("exempt", format!("[{}]", exempt.join(",")));
    f
}

fn facts_of_statement(s: &credit::statement::Statement) -> BTreeMap<String, String> {
    let pairs = [
        ("date", s.date.to_string()),
        ("due_date", s.due_date.to_string()),
        ("previous_balance", s.previous_balance.to_string()),
        ("carried", s.carried.to_string()),
        ("new_purchases", s.new_purchases.to_string()),
        ("plan_principal", s.plan_principal.to_string()),
        ("plan_fees", s.plan_fees.to_string()),
        ("plan_interest", s.plan_interest.to_string()),
        ("interest", s.interest.to_string()),
        ("penalties", s.penalties.to_string()),
        ("payments", s.payments.to_string()),
        ("credits", s.credits.to_string()),
        ("credit_applied", s.credit_applied.to_string()),
        ("balance", s.balance.to_string()),
        ("minimum", s.minimum.to_string()),
        ("lines", s.lines.len().to_string()),
        ("installed", s.installed.map_or("no".into(), |p| p.0.to_string())),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn facts_of_plan(v: &credit::PlanView) -> BTreeMap<String, String> {
    let status = match v.status {
        credit::PlanStatus::Active => "active",
        credit::PlanStatus::FullyBilled => "fully_billed",
        credit::PlanStatus::PaidOff => "paid_off",
        credit::PlanStatus::Closed => "closed",
    };
    let billed = v.periods.iter().filter(|p| p.billed).count();
    let mut f: BTreeMap<String, String> = [
        ("status", status.to_owned()),
        ("apr", v.apr.clone()),
        ("remaining_principal", v.remaining_principal.to_string()),
        ("remaining_costs", v.remaining_costs.to_string()),
        ("payoff", v.payoff.map_or("none".into(), |a| a.to_string())),
        ("billed", billed.to_string()),
        ("periods", v.periods.len().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for p in &v.periods {
        f.insert(format!("p{}", p.n), format!("{}+{}+{}", p.principal, p.fee, p.interest));
    }
    f
}

/// Runs one scenario file.
pub fn run_file(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut product = Product::default();
    let mut runner: Option<Runner> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words[0] == "product" {
            for (k, v) in parse_args(&words[1..]) {
                match k.as_str() {
                    "waive_future_fees_on_payoff" => product.waive_future_fees_on_payoff = v.parse().unwrap(),
                    "holds_max" => product.holds_max = v.parse().unwrap(),
                    other => panic!("{name}: unknown product setting {other}"),
                }
            }
            continue;
        }
        let runner = runner.get_or_insert_with(|| Runner::new(product.clone(), &name));
        match words[0] {
            "on" => runner.set_day(&words[1..]),
            "expect" => runner.expect(&words[1..], line_no),
            verb => runner.run_command(verb, &words[1..], line_no),
        }
    }
}

#[test]
fn scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty());
    let only = std::env::var("SCENARIO").ok();
    for file in files
        .iter()
        .filter(|f| only.as_ref().is_none_or(|o| f.to_string_lossy().contains(o.as_str())))
    {
        eprintln!("scenario {}", file.display());
        run_file(file);
    }
}
