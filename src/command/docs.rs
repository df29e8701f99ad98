//! COMMAND DOCS argument trees derived from one-line command syntax strings.
//!
//! Our command table carries Redis-style syntax strings such as
//!
//! ```text
//! key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]
//! ```
//!
//! redis-cli (7.x) builds its interactive hints from the `arguments` field of
//! `COMMAND DOCS`, so this module turns such a string into the same kind of
//! argument tree Redis describes in `src/commands/*.json` ([`parse_syntax`]),
//! renders a tree back into a syntax string ([`render_hint`]), and lays out one
//! argument as the map `COMMAND DOCS` replies with ([`arg_to_resp_fields`]).
//!
//! Notation understood by the parser:
//!
//! * `UPPER` — a pure token (`NX`, `WITHSCORES`, also symbols such as `=`, `*`, `""`).
//! * `lower` — a value (`key`, `seconds`); its type is guessed from the name.
//! * `TOKEN value` — one argument preceded by a token (`EX seconds`).
//! * `[ ... ]` optional, `{ ... }` required; `|` separates alternatives (a oneof).
//! * Several items in one group form a block (`[LIMIT offset count]`).
//! * `x [x ...]` — `x` may repeat. `TOKEN x [TOKEN x ...]` — repeats, and the
//!   syntax strings use this spelling for arguments whose token is given only
//!   once (Redis' `multiple` without `multiple_token`, e.g. `WEIGHTS`).
//! * `[TOKEN x ...]` — the token is repeated with every value (Redis'
//!   `multiple_token`, e.g. `SORT ... [GET pattern ...]`).
//!
//! Only `std` is used so the file can live anywhere in the crate.

/// The argument types of `COMMAND DOCS`.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

/// One node of a command's argument tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// Identifying name, e.g. "key", "value", "condition", "expiration", "nx".
    pub name: String,
    pub kind: ArgType,
    /// Literal that precedes the value, e.g. `Some("EX")` for `EX seconds`;
    /// for pure tokens the token itself.
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    /// The token is repeated along with every repetition of the value.
    pub multiple_token: bool,
    /// For key arguments: index of the matching key spec. Assigned 0, 1, 2, …
    /// in order of appearance of key-typed arguments.
    pub key_spec_index: Option<usize>,
    /// Nested arguments of a oneof or block.
    pub children: Vec<Arg>,
}

/// A value in the map describing one argument in a `COMMAND DOCS` reply.
#[derive(Debug, Clone, PartialEq)]
pub enum DocValue {
    /// A bulk string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A set of status strings (Redis replies with a set of simple strings).
    Flags(Vec<&'static str>),
    /// Nested argument maps, each a list of (field, value) pairs in reply order.
    Args(Vec<Vec<(&'static str, DocValue)>>),
}

/// Parses a one-line syntax string into a `COMMAND DOCS` argument tree.
///
/// Never panics: stray closing brackets are ignored, unclosed groups are
/// closed at the end of the input and absurdly deep nesting is read as text.
pub fn parse_syntax(syntax: &str) -> Vec<Arg> {
    let mut top = parse_raw(syntax);
    let mut args = if top.len() == 1 {
        convert_seq(&top.swap_remove(0))
    } else {
        // A `|` outside any group: treat the whole line as one required oneof.
        vec![convert_group(true, &top)]
    };
    let mut next = 0;
    assign_key_specs(&mut args, &mut next);
    args
}

/// Renders an argument tree back into a syntax string, the inverse of
/// [`parse_syntax`]: `render_hint(&parse_syntax(s)) == s` for every syntax
/// string of the Redis 7.2 command table.
///
/// The layout is redis-cli's (`[optional]`, `a|b`, `TOKEN value`, `x [x ...]`),
/// with two differences taken from the syntax strings: a required oneof is
/// wrapped in `{}` and the two repetition spellings are the ones described in
/// the module documentation.
pub fn render_hint(args: &[Arg]) -> String {
    let parts: Vec<String> = args.iter().map(render_arg).collect();
    parts.join(" ")
}

/// The fields of one argument's map in a `COMMAND DOCS` reply, in the order
/// Redis 7.2 emits them (`addReplyCommandArgList` in server.c): name, type,
/// display_text (every non-container argument, pure tokens included),
/// key_spec_index (key arguments), token, flags (only when non-empty) and
/// arguments (oneof and block only). Redis' summary/since/deprecated_since are
/// not tracked here.
pub fn arg_to_resp_fields(a: &Arg) -> Vec<(&'static str, DocValue)> {
    let container = matches!(a.kind, ArgType::OneOf | ArgType::Block);
    let mut fields = vec![
        ("name", DocValue::Str(a.name.clone())),
        ("type", DocValue::Str(type_name(&a.kind).to_string())),
    ];
    if !container {
        // redis-cli 7.2 prints display_text (falling back to name) in hints.
        fields.push(("display_text", DocValue::Str(a.name.clone())));
    }
    if let Some(index) = a.key_spec_index {
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        fields.push(("key_spec_index", DocValue::Int(index)));
    }
    if let Some(token) = &a.token {
        fields.push(("token", DocValue::Str(token.clone())));
    }
    let mut flags = Vec::new();
    if a.optional {
        flags.push("optional");
    }
    if a.multiple {
        flags.push("multiple");
    }
    if a.multiple_token {
        flags.push("multiple_token");
    }
    if !flags.is_empty() {
        fields.push(("flags", DocValue::Flags(flags)));
    }
    if container {
        let children = a.children.iter().map(arg_to_resp_fields).collect();
        fields.push(("arguments", DocValue::Args(children)));
    }
    fields
}

/// The type names used in `COMMAND DOCS` replies.
fn type_name(kind: &ArgType) -> &'static str {
    match kind {
        ArgType::String => "string",
        ArgType::Integer => "integer",
        ArgType::Double => "double",
        ArgType::Key => "key",
        ArgType::Pattern => "pattern",
        ArgType::UnixTime => "unix-time",
        ArgType::PureToken => "pure-token",
        ArgType::OneOf => "oneof",
        ArgType::Block => "block",
    }
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

fn render_arg(a: &Arg) -> String {
    let mut unit = render_body(a);
    if a.kind == ArgType::OneOf && !a.optional {
        unit = format!("{{{unit}}}");
    }
    let mut text = if !a.multiple {
        unit
    } else if a.multiple_token {
        // The syntax strings write a token-per-repetition argument as
        // `TOKEN value ...`.
        format!("{unit} ...")
    } else {
        format!("{unit} [{unit} ...]")
    };
    if a.optional {
        text = format!("[{text}]");
    }
    text
}

/// The argument without its optional/multiple decoration.
fn render_body(a: &Arg) -> String {
    // redis-cli shows an empty token as `""` (see MIGRATE's empty key).
    let token = a
        .token
        .as_deref()
        .map(|t| if t.is_empty() { "\"\"" } else { t });
    let rest = match a.kind {
        ArgType::PureToken => return token.unwrap_or(&a.name).to_string(),
        ArgType::OneOf => join_rendered(&a.children, "|"),
        ArgType::Block => join_rendered(&a.children, " "),
        _ => a.name.clone(),
    };
    match token {
        Some(t) if rest.is_empty() => t.to_string(),
        Some(t) => format!("{t} {rest}"),
        None => rest,
    }
}

fn join_rendered(args: &[Arg], sep: &str) -> String {
    let parts: Vec<String> = args.iter().map(render_arg).collect();
    parts.join(sep)
}

// ---------------------------------------------------------------------------
// Lexing and raw structure
// ---------------------------------------------------------------------------

/// Groups nested deeper than this are read as plain words, which keeps the
/// recursion in conversion and rendering bounded on hostile input.
const MAX_DEPTH: usize = 32;

/// The syntax string as nested groups, before any interpretation.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Word(String),
    /// `...`
    Ellipsis,
    /// `[...]` (braces == false) or `{...}` (braces == true), split at `|`.
    Group {
        braces: bool,
        alts: Vec<Vec<Raw>>,
    },
}

enum Lex {
    Word(String),
    Open(char),
    Close(char),
    Bar,
}

fn lex(s: &str) -> Vec<Lex> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        let special = match c {
            '[' | '{' => Some(Lex::Open(c)),
            ']' | '}' => Some(Lex::Close(c)),
            '|' => Some(Lex::Bar),
            _ => None,
        };
        if special.is_some() || c.is_whitespace() {
            if !word.is_empty() {
                out.push(Lex::Word(std::mem::take(&mut word)));
            }
            out.extend(special);
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(Lex::Word(word));
    }
    out
}

struct Frame {
    braces: bool,
    alts: Vec<Vec<Raw>>,
}

fn push_raw(stack: &mut [Frame], item: Raw) {
    if let Some(alt) = stack.last_mut().and_then(|f| f.alts.last_mut()) {
        alt.push(item);
    }
}

/// Parses into the alternatives of the top level (normally exactly one).
fn parse_raw(s: &str) -> Vec<Vec<Raw>> {
    let mut stack = vec![Frame {
        braces: false,
        alts: vec![Vec::new()],
    }];
    // Openers seen past MAX_DEPTH; their closers are read as words too.
    let mut literal_depth = 0usize;
    for lexeme in lex(s) {
        match lexeme {
            Lex::Word(w) if w == "..." => push_raw(&mut stack, Raw::Ellipsis),
            Lex::Word(w) => push_raw(&mut stack, Raw::Word(w)),
            Lex::Bar => {
                if let Some(frame) = stack.last_mut() {
                    frame.alts.push(Vec::new());
                }
            }
            Lex::Open(c) => {
                if stack.len() > MAX_DEPTH {
                    literal_depth += 1;
                    push_raw(&mut stack, Raw::Word(c.to_string()));
                } else {
                    stack.push(Frame {
                        braces: c == '{',
                        alts: vec![Vec::new()],
                    });
                }
            }
            Lex::Close(c) => {
                if literal_depth > 0 {
                    literal_depth -= 1;
                    push_raw(&mut stack, Raw::Word(c.to_string()));
                } else if stack.len() > 1 {
                    close_frame(&mut stack);
                }
                // A closer without an opener is dropped.
            }
        }
    }
    // Unclosed groups end with the input.
    while stack.len() > 1 {
        close_frame(&mut stack);
    }
    stack.pop().map(|f| f.alts).unwrap_or_default()
}

fn close_frame(stack: &mut Vec<Frame>) {
    if let Some(frame) = stack.pop() {
        let group = Raw::Group {
            braces: frame.braces,
            alts: frame.alts,
        };
        push_raw(stack, group);
    }
}

// ---------------------------------------------------------------------------
// Raw structure -> argument tree
// ---------------------------------------------------------------------------

/// A word without lowercase letters is a literal token: `NX`, `AUTH2`, `=`, `""`.
fn is_token_word(w: &str) -> bool {
    !w.is_empty() && !w.chars().any(char::is_lowercase)
}

fn is_value_word(w: &str) -> bool {
    w.chars().any(char::is_lowercase)
}

fn raw_value_word(r: Option<&Raw>) -> bool {
    matches!(r, Some(Raw::Word(w)) if is_value_word(w))
}

/// Whether `first second` is one argument: `EX seconds`, or the lowercase
/// token spelling of CLIENT SETINFO (`lib-name libname`).
fn binds(first: &str, second: &str) -> bool {
    if !is_value_word(second) {
        return false;
    }
    is_token_word(first)
        || (is_value_word(first) && first.contains('-') && first.replace('-', "") == second)
}

/// For every start index `i`, the index `j` of a group `[items[i..j] ...]`
/// repeating the items just before it (`x [x ...]`, `a b [a b ...]`), if any.
/// Each such group fixes where its unit starts, so this is linear in the
/// number of items.
fn repetition_ends(items: &[Raw]) -> Vec<Option<usize>> {
    let mut ends = vec![None; items.len()];
    for (j, item) in items.iter().enumerate() {
        let alt = match item {
            Raw::Group {
                braces: false,
                alts,
            } if alts.len() == 1 => &alts[0],
            _ => continue,
        };
        let unit_len = match alt.split_last() {
            Some((Raw::Ellipsis, unit)) if !unit.is_empty() && unit.len() <= j => unit.len(),
            _ => continue,
        };
        let i = j - unit_len;
        if ends[i].is_none() && items[i..j] == alt[..unit_len] {
            ends[i] = Some(j);
        }
    }
    ends
}

/// Converts a sequence of items into sibling arguments.
fn convert_seq(items: &[Raw]) -> Vec<Arg> {
    let rep_ends = repetition_ends(items);
    let mut out: Vec<Arg> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        if let Some(j) = rep_ends[i] {
            out.push(convert_repeated_unit(&items[i..j]));
            i = j + 1;
            continue;
        }
        match &items[i] {
            Raw::Word(w) => {
                if let Some(Raw::Word(next)) = items.get(i + 1) {
                    // `STREAMS key [key ...]`: the token stands alone and
                    // the value repeats without it.
                    if binds(w, next) && rep_ends[i + 1].is_none() {
                        out.push(value_arg(next, Some(w.clone())));
                        i += 2;
                        continue;
                    }
                }
                out.push(if is_token_word(w) {
                    pure_token(w)
                } else {
                    value_arg(w, None)
                });
            }
            Raw::Group { braces, alts } => out.push(convert_group(*braces, alts)),
            Raw::Ellipsis => {
                // A stray `x ...` outside brackets: same meaning as `[x ...]`.
                if let Some(last) = out.pop() {
                    let mut arg = repeatable(last);
                    arg.multiple_token = true;
                    out.push(arg);
                }
            }
        }
        i += 1;
    }
    name_left_right_pair(&mut out);
    out
}

/// The unit of `unit [unit ...]`, as one multiple argument.
fn convert_repeated_unit(unit: &[Raw]) -> Arg {
    let arg = match unit {
        // `ID [ID ...]`, `[COMMAND [COMMAND ...]]`: Redis documents these as
        // string values whose name happens to be uppercase.
        [Raw::Word(w)] if is_token_word(w) => plain_arg(w, ArgType::String, None),
        _ => convert_alt(unit),
    };
    let mut arg = repeatable(arg);
    arg.multiple = true;
    arg
}

/// Returns an argument that can take repetition flags without changing how it
/// renders: already optional or repeated arguments get wrapped in a block.
fn repeatable(arg: Arg) -> Arg {
    let mut arg = if arg.optional || arg.multiple {
        wrap_block(arg)
    } else {
        arg
    };
    arg.multiple = true;
    arg
}

fn wrap_block(arg: Arg) -> Arg {
    Arg {
        name: arg.name.clone(),
        kind: ArgType::Block,
        token: None,
        optional: false,
        multiple: false,
        multiple_token: false,
        key_spec_index: None,
        children: vec![arg],
    }
}

/// Converts one alternative (or a whole single-alternative group) into a
/// single argument, making a block when it holds several.
fn convert_alt(items: &[Raw]) -> Arg {
    let mut args = convert_seq(items);
    if args.len() == 1 {
        if let Some(arg) = args.pop() {
            return arg;
        }
    }
    // `LIMIT offset count`, `AUTH2 username password`: Redis puts the token
    // on the block rather than on its first value.
    if let Some(Raw::Word(token)) = items.first() {
        if items.len() >= 3
            && is_token_word(token)
            && raw_value_word(items.get(1))
            && raw_value_word(items.get(2))
        {
            return block(Some(token.clone()), convert_seq(&items[1..]));
        }
    }
    block(None, args)
}

/// Converts a `[...]` or `{...}` group.
fn convert_group(braces: bool, alts: &[Vec<Raw>]) -> Arg {
    if alts.len() >= 2 {
        let mut alts = alts.to_vec();
        let multiple = !braces && strip_oneof_repetition(&mut alts);
        // Two bare values could never be told apart, so when a oneof lists
        // several lowercase words they are literal tokens (`[m|km|ft|mi]`,
        // `[normal|master|replica|pubsub]`); a lone one stays a value
        // (`[count|RESET]`, `{id|$}`, `{key|""}`).
        let bare_values = alts
            .iter()
            .filter(|alt| matches!(alt.as_slice(), [Raw::Word(w)] if is_value_word(w)))
            .count();
        let children = alts
            .iter()
            .map(|alt| match alt.as_slice() {
                [Raw::Word(w)] if bare_values >= 2 && is_value_word(w) => pure_token(w),
                _ => convert_alt(alt),
            })
            .collect();
        let mut arg = oneof(children);
        arg.optional = !braces;
        arg.multiple = multiple;
        return arg;
    }

    let items: &[Raw] = alts.first().map(Vec::as_slice).unwrap_or(&[]);
    let (items, trailing_ellipsis) = match items.split_last() {
        Some((Raw::Ellipsis, rest)) => (rest, true),
        _ => (items, false),
    };
    let mut arg = convert_alt(items);
    if trailing_ellipsis {
        arg = repeatable(arg);
        arg.multiple_token = true;
    }
    if braces {
        // `{x}`: a required choice with a single alternative.
        return oneof(vec![arg]);
    }
    // Marking an optional argument or a oneof optional would change its
    // brackets, so those keep their own shape inside an optional block.
    if arg.optional || arg.kind == ArgType::OneOf {
        arg = wrap_block(arg);
    }
    arg.optional = true;
    arg
}

/// An optional repeated oneof is written `[A|B [A|B ...]]`, which reads as
/// `A | (B [A|B ...])`. Detects that shape, removes the trailing repetition
/// group from the last alternative and reports whether it did.
fn strip_oneof_repetition(alts: &mut [Vec<Raw>]) -> bool {
    let n = alts.len();
    let found = match alts.split_last() {
        Some((last, others)) => match last.split_last() {
            Some((
                Raw::Group {
                    braces: false,
                    alts: rep,
                },
                last_rest,
            )) => {
                rep.len() == n
                    && rep[..n - 1] == *others
                    && rep[n - 1].len() == last_rest.len() + 1
                    && rep[n - 1].last() == Some(&Raw::Ellipsis)
                    && rep[n - 1][..last_rest.len()] == *last_rest
            }
            _ => false,
        },
        None => false,
    };
    if found {
        if let Some(last) = alts.last_mut() {
            last.pop();
        }
    }
    found
}

// ---------------------------------------------------------------------------
// Argument constructors, names and types
// ---------------------------------------------------------------------------

fn plain_arg(name: &str, kind: ArgType, token: Option<String>) -> Arg {
    Arg {
        name: name.to_string(),
        kind,
        token,
        optional: false,
        multiple: false,
        multiple_token: false,
        key_spec_index: None,
        children: Vec::new(),
    }
}

fn value_arg(name: &str, token: Option<String>) -> Arg {
    plain_arg(name, infer_type(name), token)
}

fn pure_token(token: &str) -> Arg {
    plain_arg(
        &token_name(token),
        ArgType::PureToken,
        Some(token.to_string()),
    )
}

fn block(token: Option<String>, children: Vec<Arg>) -> Arg {
    let name = match &token {
        Some(t) => t.to_ascii_lowercase(),
        None => joined_name(children.iter().map(|c| c.name.clone()).collect(), "block"),
    };
    Arg {
        children,
        ..plain_arg(&name, ArgType::Block, token)
    }
}

fn oneof(children: Vec<Arg>) -> Arg {
    let name = oneof_name(&children);
    Arg {
        children,
        ..plain_arg(&name, ArgType::OneOf, None)
    }
}

/// Short lists of names are joined with '-'; longer ones get `fallback`.
fn joined_name(names: Vec<String>, fallback: &str) -> String {
    if names.is_empty() || names.len() > 3 {
        fallback.to_string()
    } else {
        names.join("-")
    }
}

/// Names Redis gives to pure tokens that are not words.
fn token_name(token: &str) -> String {
    match token {
        "=" => "equal".to_string(),
        "~" => "approximately".to_string(),
        "*" => "auto-id".to_string(),
        "$" => "new-id".to_string(),
        "\"\"" | "" => "empty-string".to_string(),
        _ => token.to_ascii_lowercase(),
    }
}

/// Redis' names for the common choices; otherwise the alternatives joined.
fn oneof_name(children: &[Arg]) -> String {
    let labels: Vec<String> = children
        .iter()
        .map(|c| match (&c.kind, &c.token) {
            (ArgType::PureToken, Some(t)) => t.to_ascii_lowercase(),
            _ => c.name.to_ascii_lowercase(),
        })
        .collect();
    let expiration = ["EX", "PX", "EXAT", "PXAT", "KEEPTTL", "PERSIST"];
    if children
        .iter()
        .any(|c| c.token.as_deref().is_some_and(|t| expiration.contains(&t)))
    {
        return "expiration".to_string();
    }
    let mut sorted = labels.clone();
    sorted.sort();
    let known = match sorted.join("|").as_str() {
        "nx|xx" | "gt|lt|nx|xx" => "condition",
        "gt|lt" => "comparison",
        "asc|desc" => "order",
        "left|right" | "after|before" | "max|min" => "where",
        "ft|km|m|mi" | "bit|byte" => "unit",
        "async|sync" => "flush-type",
        "max|min|sum" => "aggregate",
        "and|not|or|xor" => "operation",
        "off|on" => "enabled",
        "all|write" | "no|yes" | "no|sync|yes" => "mode",
        "maxlen|minid" => "strategy",
        "=|~" => "operator",
        "bylex|byscore" => "sortby",
        "nosave|save" => "save-selector",
        "force|takeover" => "options",
        "hard|soft" => "reset-type",
        "error|timeout" => "unblock-type",
        "off|on|skip" => "action",
        "append|flush|replace" => "policy",
        "master|normal|pubsub|replica" | "master|normal|pubsub|replica|slave" => "client-type",
        "*|id" | "$|id" => "id-selector",
        "\"\"|key" => "key-selector",
        "storedistkey|storekey" => "store",
        _ => "",
    };
    if known.is_empty() {
        joined_name(labels, "choice")
    } else {
        known.to_string()
    }
}

/// LMOVE-style `{LEFT|RIGHT} {LEFT|RIGHT}`: Redis calls the pair
/// "wherefrom" and "whereto".
fn name_left_right_pair(siblings: &mut [Arg]) {
    let is_left_right = |a: &Arg| {
        a.kind == ArgType::OneOf
            && a.children.len() == 2
            && a.children[0].token.as_deref() == Some("LEFT")
            && a.children[1].token.as_deref() == Some("RIGHT")
    };
    let positions: Vec<usize> = (0..siblings.len())
        .filter(|&i| is_left_right(&siblings[i]))
        .collect();
    if let [from, to] = positions.as_slice() {
        siblings[*from].name = "wherefrom".to_string();
        siblings[*to].name = "whereto".to_string();
    }
}

/// Integer-valued names. Deliberately absent: start/end/stop and min/max,
/// which are stream IDs or lex/score ranges in some commands; redis-cli checks
/// integer arguments with `%lld` while matching hints, so typing those as
/// integers would hide the hint for e.g. `XRANGE key - +`.
const INTEGER_NAMES: &[&str] = &[
    "count",
    "seconds",
    "milliseconds",
    "ms",
    "offset",
    "index",
    "index1",
    "index2",
    "numkeys",
    "numreplicas",
    "numlocal",
    "increment",
    "decrement",
    "db",
    "destination-db",
    "port",
    "cluster-bus-port",
    "limit",
    "rank",
    "maxlen",
    "len",
    "num-matches",
    "min-match-len",
    "bits",
    "bit",
    "slot",
    "start-slot",
    "end-slot",
    "config-epoch",
    "current-epoch",
    "ttl",
    "frequency",
    "protover",
    "version",
    "client-id",
    "quorum",
    "entries-read",
    "entriesread",
    "entries-added",
    "min-idle-time",
    "weight",
];

/// Double-valued names. Blocking timeouts accept fractions; `%lf` also
/// accepts the integer timeouts of CLIENT PAUSE, WAIT and MIGRATE.
const DOUBLE_NAMES: &[&str] = &[
    "timeout",
    "score",
    "longitude",
    "latitude",
    "radius",
    "width",
    "height",
];

fn is_key_name(n: &str) -> bool {
    matches!(n, "key" | "keys" | "destination" | "source" | "dst" | "src")
        || n.ends_with("key") // destkey, sourcekey, newkey, storekey, storedistkey
        || (n.len() > 3 && n.starts_with("key") && n[3..].bytes().all(|b| b.is_ascii_digit()))
}

fn infer_type(name: &str) -> ArgType {
    let n = name.to_ascii_lowercase();
    if n.starts_with("unix-time") {
        ArgType::UnixTime
    } else if is_key_name(&n) {
        ArgType::Key
    } else if n == "pattern" || n.ends_with("-pattern") {
        ArgType::Pattern
    } else if DOUBLE_NAMES.contains(&n.as_str()) {
        ArgType::Double
    } else if INTEGER_NAMES.contains(&n.as_str()) {
        ArgType::Integer
    } else {
        ArgType::String
    }
}

/// Numbers key arguments in order of appearance (depth first).
fn assign_key_specs(args: &mut [Arg], next: &mut usize) {
    for arg in args {
        if arg.kind == ArgType::Key {
            arg.key_spec_index = Some(*next);
            *next += 1;
        }
        assign_key_specs(&mut arg.children, next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalize(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn round_trip(syntax: &str) -> String {
        render_hint(&parse_syntax(syntax))
    }

    /// A varied sample of the Redis 7.2 syntax strings.
    const SAMPLES: &[&str] = &[
        "",
        "[category]",
        "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
        "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]",
        "key [GET encoding offset|[WRAP|SAT|FAIL] {SET encoding offset value|INCRBY encoding offset increment} [GET encoding offset|[WRAP|SAT|FAIL] {SET encoding offset value|INCRBY encoding offset increment} ...]]",
        "key [GET encoding offset ...]",
        "{AND|OR|XOR|NOT} destkey key [key ...]",
        "key bit [start [end [BYTE|BIT]]]",
        "source destination {LEFT|RIGHT} {LEFT|RIGHT} timeout",
        "{old-format|{[ID client-id]|[normal|master|slave|replica|pubsub]|[USER username]|[ADDR addr]|[LADDR laddr]|[YES|NO]} [{[ID client-id]|[normal|master|slave|replica|pubsub]|[USER username]|[ADDR addr]|[LADDR laddr]|[YES|NO]} ...]}",
        "[normal|master|replica|pubsub] [ID client-id [ID client-id ...]]",
        "{lib-name libname|lib-ver libver}",
        "{ON|OFF} [REDIRECT client-id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]",
        "start-slot end-slot [start-slot end-slot ...]",
        "slot {IMPORTING importing|MIGRATING migrating|NODE node|STABLE}",
        "[MODULE module-name|ACLCAT category|PATTERN pattern]",
        "[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]",
        "key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]",
        "key {FROMMEMBER member|FROMLONLAT longitude latitude} {BYRADIUS radius {m|km|ft|mi}|BYBOX width height {m|km|ft|mi}} [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]",
        "key longitude latitude radius {m|km|ft|mi} [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE storekey|STOREDIST storedistkey]",
        "[protover [AUTH username password] [SETNAME clientname]]",
        "[COMMAND [COMMAND ...]]",
        "[count|RESET]",
        "host port {key|\"\"} destination-db timeout [COPY] [REPLACE] [AUTH auth|AUTH2 username password] [KEYS keys [KEYS keys ...]]",
        "path [CONFIG name value ...] [ARGS args [ARGS args ...]]",
        "{host port|NO ONE}",
        "{SET parameter value [SET parameter value ...]|GET parameter [GET parameter ...]}",
        "[parameter value [parameter value ...]]",
        "[CRASH-AFTER-ELECTION|CRASH-AFTER-PROMOTION|HELP [CRASH-AFTER-ELECTION|CRASH-AFTER-PROMOTION|HELP ...]]",
        "key [BY by-pattern] [LIMIT offset count] [GET get-pattern ...] [ASC|DESC] [ALPHA] [STORE destination]",
        "script numkeys [key [key ...]] [arg [arg ...]]",
        "key [NOMKSTREAM] [{MAXLEN|MINID} [=|~] threshold [LIMIT count]] {*|id} field value [field value ...]",
        "key group [[IDLE min-idle-time] start end count [consumer]]",
        "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] ID [ID ...]",
        "key group {id|$} [MKSTREAM] [ENTRIESREAD entries-read]",
        "key [FULL [COUNT count]]",
        "numkeys key [key ...] [WEIGHTS weight [WEIGHTS weight ...]] [SUM|MIN|MAX] [WITHSCORES]",
        "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]",
        "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]",
        "key member1 member2 [m|km|ft|mi]",
    ];

    #[test]
    fn samples_round_trip() {
        for syntax in SAMPLES {
            assert_eq!(
                normalize(&round_trip(syntax)),
                normalize(syntax),
                "{syntax}"
            );
        }
    }

    /// Checks every row of the shared Redis 7.2 command table. Ignored by
    /// default because the table lives outside this crate.
    #[test]
    #[ignore]
    fn full_command_table_round_trips() {
        let path = "/work/shared/redis-7.2-commands.tsv";
        let text = std::fs::read_to_string(path).expect("read command table");
        let mut failures = Vec::new();
        let mut rows = 0;
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let syntax = cols.get(8).copied().unwrap_or("");
            rows += 1;
            let rendered = round_trip(syntax);
            if normalize(&rendered) != normalize(syntax) {
                failures.push(format!("{}:\n  want {syntax}\n  got  {rendered}", cols[0]));
            }
        }
        assert!(rows > 300, "only {rows} rows read");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn token(name: &str, token: &str) -> Arg {
        plain_arg(name, ArgType::PureToken, Some(token.to_string()))
    }

    fn value(name: &str, kind: ArgType, tok: Option<&str>) -> Arg {
        plain_arg(name, kind, tok.map(str::to_string))
    }

    #[test]
    fn set_matches_redis_docs() {
        let args = parse_syntax(
            "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
        );
        let expected = vec![
            Arg {
                key_spec_index: Some(0),
                ..value("key", ArgType::Key, None)
            },
            value("value", ArgType::String, None),
            Arg {
                optional: true,
                children: vec![token("nx", "NX"), token("xx", "XX")],
                ..value("condition", ArgType::OneOf, None)
            },
            Arg {
                optional: true,
                ..token("get", "GET")
            },
            Arg {
                optional: true,
                children: vec![
                    value("seconds", ArgType::Integer, Some("EX")),
                    value("milliseconds", ArgType::Integer, Some("PX")),
                    value("unix-time-seconds", ArgType::UnixTime, Some("EXAT")),
                    value("unix-time-milliseconds", ArgType::UnixTime, Some("PXAT")),
                    token("keepttl", "KEEPTTL"),
                ],
                ..value("expiration", ArgType::OneOf, None)
            },
        ];
        assert_eq!(args, expected);
    }

    #[test]
    fn resp_fields_follow_redis_order() {
        let args = parse_syntax("key value [NX|XX] [EX seconds|KEEPTTL]");
        let s = |v: &str| DocValue::Str(v.to_string());
        assert_eq!(
            arg_to_resp_fields(&args[0]),
            vec![
                ("name", s("key")),
                ("type", s("key")),
                ("display_text", s("key")),
                ("key_spec_index", DocValue::Int(0)),
            ]
        );
        assert_eq!(
            arg_to_resp_fields(&args[2]),
            vec![
                ("name", s("condition")),
                ("type", s("oneof")),
                ("flags", DocValue::Flags(vec!["optional"])),
                (
                    "arguments",
                    DocValue::Args(vec![
                        vec![
                            ("name", s("nx")),
                            ("type", s("pure-token")),
                            ("display_text", s("nx")),
                            ("token", s("NX")),
                        ],
                        vec![
                            ("name", s("xx")),
                            ("type", s("pure-token")),
                            ("display_text", s("xx")),
                            ("token", s("XX")),
                        ],
                    ])
                ),
            ]
        );
        let expiration = arg_to_resp_fields(&args[3]);
        match &expiration[3] {
            ("arguments", DocValue::Args(children)) => assert_eq!(
                children[0],
                vec![
                    ("name", s("seconds")),
                    ("type", s("integer")),
                    ("display_text", s("seconds")),
                    ("token", s("EX")),
                ]
            ),
            other => panic!("unexpected field {other:?}"),
        }
    }

    #[test]
    fn repetition_flags() {
        // Token given once (Redis: multiple, no multiple_token).
        let zinter = parse_syntax("numkeys key [key ...] [WEIGHTS weight [WEIGHTS weight ...]]");
        let weights = &zinter[2];
        assert_eq!(weights.token.as_deref(), Some("WEIGHTS"));
        assert!(weights.optional && weights.multiple && !weights.multiple_token);
        assert!(zinter[1].multiple && !zinter[1].optional);

        // Token repeated (Redis: multiple_token).
        let sort = parse_syntax("key [GET get-pattern ...]");
        let get = &sort[1];
        assert_eq!(get.token.as_deref(), Some("GET"));
        assert_eq!(get.kind, ArgType::Pattern);
        assert!(get.optional && get.multiple && get.multiple_token);
        let fields = arg_to_resp_fields(get);
        assert!(fields.contains(&(
            "flags",
            DocValue::Flags(vec!["optional", "multiple", "multiple_token"])
        )));
    }

    #[test]
    fn blocks_and_tokens() {
        let sort = parse_syntax("key [LIMIT offset count]");
        let limit = &sort[1];
        assert_eq!(limit.kind, ArgType::Block);
        assert_eq!(limit.token.as_deref(), Some("LIMIT"));
        assert_eq!(limit.children.len(), 2);
        assert_eq!(limit.children[0].kind, ArgType::Integer);

        let pairs = parse_syntax("key field value [field value ...]");
        assert_eq!(pairs[1].kind, ArgType::Block);
        assert!(pairs[1].multiple);
        assert_eq!(pairs[1].children.len(), 2);

        // STREAMS stands alone: the keys repeat without it.
        let xread = parse_syntax("STREAMS key [key ...] ID [ID ...]");
        assert_eq!(xread[0], token("streams", "STREAMS"));
        assert_eq!(xread[1].kind, ArgType::Key);
        assert!(xread[1].multiple);
        assert_eq!(xread[2].name, "ID");
        assert_eq!(xread[2].kind, ArgType::String);

        let replicaof = parse_syntax("{host port|NO ONE}");
        assert_eq!(replicaof[0].children[1].name, "no-one");
    }

    #[test]
    fn lowercase_alternatives() {
        let geodist = parse_syntax("key member1 member2 [m|km|ft|mi]");
        assert_eq!(geodist[3].name, "unit");
        assert!(geodist[3]
            .children
            .iter()
            .all(|c| c.kind == ArgType::PureToken));
        let xgroup = parse_syntax("{id|$}");
        assert_eq!(xgroup[0].children[0].kind, ArgType::String);
        assert_eq!(xgroup[0].children[1], token("new-id", "$"));
        let acl_log = parse_syntax("[count|RESET]");
        assert_eq!(acl_log[0].children[0].kind, ArgType::Integer);
        let setinfo = parse_syntax("{lib-name libname|lib-ver libver}");
        assert_eq!(setinfo[0].children[0].token.as_deref(), Some("lib-name"));
    }

    #[test]
    fn key_specs_in_order_of_appearance() {
        let migrate =
            parse_syntax("host port {key|\"\"} destination-db timeout [KEYS keys [KEYS keys ...]]");
        assert_eq!(migrate[2].children[0].key_spec_index, Some(0));
        assert_eq!(migrate[2].children[1].kind, ArgType::PureToken);
        assert_eq!(migrate[3].kind, ArgType::Integer);
        assert_eq!(migrate[5].key_spec_index, Some(1));
        let smove = parse_syntax("source destination member");
        let indexes: Vec<_> = smove.iter().map(|a| a.key_spec_index).collect();
        assert_eq!(indexes, vec![Some(0), Some(1), None]);
    }

    #[test]
    fn names_for_common_choices() {
        let lmove = parse_syntax("source destination {LEFT|RIGHT} {LEFT|RIGHT}");
        assert_eq!(lmove[2].name, "wherefrom");
        assert_eq!(lmove[3].name, "whereto");
        let xadd = parse_syntax("key [{MAXLEN|MINID} [=|~] threshold [LIMIT count]]");
        let trim = &xadd[1];
        assert_eq!(trim.children[0].name, "strategy");
        assert_eq!(trim.children[1].name, "operator");
        assert_eq!(trim.children[1].children[0], token("equal", "="));
    }

    #[test]
    fn odd_input_does_not_panic() {
        let deep = "[".repeat(10_000) + "x" + &"]".repeat(10_000);
        for s in [
            "[",
            "]",
            "}{",
            "{a|",
            "a]] b",
            "...",
            "[...]",
            "a ...",
            "[a] ...",
            "|",
            "a|b",
            "[]",
            "{}",
            "[a|[a|...]]",
            "[[x] [[x] ...]]",
            deep.as_str(),
        ] {
            let args = parse_syntax(s);
            let _ = render_hint(&args);
            let _: Vec<_> = args.iter().map(arg_to_resp_fields).collect();
        }
        // Graceful degradation: unclosed groups close at the end.
        assert_eq!(round_trip("key [NX|XX"), "key [NX|XX]");
        assert_eq!(round_trip("key ]value"), "key value");
        // Stray repetition outside brackets survives the round trip.
        assert_eq!(round_trip("key ..."), "key ...");
        assert_eq!(round_trip("[x] ..."), "[x] ...");
        assert_eq!(round_trip("[[x]]"), "[[x]]");
        assert_eq!(round_trip("[{a|b}]"), "[{a|b}]");
    }
}
