import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from './prng';

/**
 * A deterministic generator of a realistic Flask code base: an app factory, a config module, extensions, an
 * auth package with its own decorators, and one package per business domain (a blueprint with models,
 * forms, views, services, a raw-SQL repository, helpers and background tasks). Most of the code is the
 * ordinary, safe kind (login-protected views, parameterised SQL, forms); a few percent of the functions carry
 * the mistakes a security linter exists for (string-built SQL, a state-changing route without a login
 * check, redirects to request data, weak hashes...), as real code bases do.
 */

export interface GeneratedFile {
  /** Relative path with `/` separators. */
  path: string;
  text: string;
}

export interface Codebase {
  files: GeneratedFile[];
  lines: number;
}

interface Field {
  name: string;
  column: string;
  form: string;
  kind: 'str' | 'int' | 'num' | 'bool' | 'date' | 'text';
}

interface Entity {
  cls: string;
  snake: string;
  plural: string;
  table: string;
  fields: Field[];
}

interface Domain {
  name: string;
  title: string;
  entities: Entity[];
}

/** A generated module: its imports (merged when several modules become one file) and its body. */
interface Section {
  imports: string[];
  body: string[];
}

const DOMAIN_NAMES = [
  'accounts',
  'billing',
  'inventory',
  'orders',
  'shipping',
  'catalog',
  'reviews',
  'support',
  'reports',
  'analytics',
  'payments',
  'notifications',
  'profiles',
  'teams',
  'projects',
  'tasks',
  'invoicing',
  'coupons',
  'warehouses',
  'vendors',
  'messaging',
  'calendar',
  'documents',
  'media',
  'search',
  'audit',
  'subscriptions',
  'loyalty',
  'pricing',
  'returns',
  'compliance',
  'onboarding',
  'scheduling',
  'tickets',
  'campaigns',
  'leads',
  'contracts',
  'assets',
  'maintenance',
  'fleet',
];

const ENTITY_NAMES = [
  'Account',
  'Invoice',
  'Order',
  'LineItem',
  'Shipment',
  'Product',
  'Review',
  'Ticket',
  'Report',
  'Payment',
  'Notice',
  'Profile',
  'Team',
  'Project',
  'Task',
  'Coupon',
  'Warehouse',
  'Vendor',
  'Address',
  'Message',
  'Comment',
  'Tag',
  'Category',
  'Subscription',
  'Plan',
  'Refund',
  'Discount',
  'Batch',
  'Event',
  'Booking',
  'Contract',
  'Asset',
  'Vehicle',
  'Lead',
  'Campaign',
  'Document',
  'Attachment',
  'Note',
  'Schedule',
  'Supplier',
];

const FIELDS: Field[] = [
  {
    name: 'name',
    column: 'db.String(120), nullable=False',
    form: 'StringField("Name", validators=[DataRequired(), Length(max=120)])',
    kind: 'str',
  },
  {
    name: 'title',
    column: 'db.String(200), nullable=False',
    form: 'StringField("Title", validators=[DataRequired(), Length(max=200)])',
    kind: 'str',
  },
  {
    name: 'email',
    column: 'db.String(255), index=True',
    form: 'StringField("Email", validators=[Optional(), Email(), Length(max=255)])',
    kind: 'str',
  },
  {
    name: 'status',
    column: 'db.String(32), default="draft", nullable=False',
    form: 'SelectField("Status", choices=STATUS_CHOICES)',
    kind: 'str',
  },
  {
    name: 'description',
    column: 'db.Text',
    form: 'TextAreaField("Description", validators=[Optional(), Length(max=5000)])',
    kind: 'text',
  },
  {
    name: 'amount',
    column: 'db.Numeric(10, 2), default=0',
    form: 'DecimalField("Amount", places=2, validators=[Optional(), NumberRange(min=0)])',
    kind: 'num',
  },
  {
    name: 'quantity',
    column: 'db.Integer, default=0',
    form: 'IntegerField("Quantity", validators=[Optional(), NumberRange(min=0, max=100000)])',
    kind: 'int',
  },
  {
    name: 'is_active',
    column: 'db.Boolean, default=True',
    form: 'BooleanField("Active")',
    kind: 'bool',
  },
  {
    name: 'priority',
    column: 'db.Integer, default=3',
    form: 'IntegerField("Priority", validators=[Optional(), NumberRange(min=1, max=5)])',
    kind: 'int',
  },
  {
    name: 'reference',
    column: 'db.String(64), unique=True',
    form: 'StringField("Reference", validators=[Optional(), Length(max=64)])',
    kind: 'str',
  },
  {
    name: 'notes',
    column: 'db.Text',
    form: 'TextAreaField("Notes", validators=[Optional()])',
    kind: 'text',
  },
  {
    name: 'due_date',
    column: 'db.Date',
    form: 'DateField("Due date", validators=[Optional()])',
    kind: 'date',
  },
  {
    name: 'currency',
    column: 'db.String(3), default="EUR"',
    form: 'StringField("Currency", validators=[Optional(), Length(min=3, max=3)])',
    kind: 'str',
  },
  {
    name: 'url',
    column: 'db.String(500)',
    form: 'URLField("Link", validators=[Optional(), URL()])',
    kind: 'str',
  },
  {
    name: 'phone',
    column: 'db.String(32)',
    form: 'StringField("Phone", validators=[Optional(), Length(max=32)])',
    kind: 'str',
  },
  {
    name: 'score',
    column: 'db.Float, default=0.0',
    form: 'DecimalField("Score", validators=[Optional()])',
    kind: 'num',
  },
  {
    name: 'external_id',
    column: 'db.String(64), index=True',
    form: 'StringField("External id", validators=[Optional(), Length(max=64)])',
    kind: 'str',
  },
];

function pascalCase(name: string): string {
  return name
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function plural(word: string): string {
  if (/(s|x|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

function titleCase(snake: string): string {
  return snake
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/**
 * `taken`: class names already defined in the same module (the single-file document). A second domain there
 * cannot define `class Address` again: its entity is named after the domain (`BillingAddress`).
 */
function makeDomain(rng: Rng, index: number, taken?: Set<string>): Domain {
  const base = DOMAIN_NAMES[index % DOMAIN_NAMES.length] ?? 'domain';
  const round = Math.floor(index / DOMAIN_NAMES.length);
  const name = round === 0 ? base : `${base}_${round + 1}`;
  const entities = rng.sample(ENTITY_NAMES, rng.int(2, 4)).map((sampled): Entity => {
    const cls = taken?.has(sampled) ? `${pascalCase(name)}${sampled}` : sampled;
    taken?.add(cls);
    const snake = snakeCase(cls);
    const picked = rng.sample(FIELDS, rng.int(4, 8));
    // Every entity has a display name; keep the field order stable and readable.
    const fields = [
      FIELDS[0] as Field,
      ...picked.filter((f) => f.name !== 'name').sort((a, b) => FIELDS.indexOf(a) - FIELDS.indexOf(b)),
    ];
    return { cls, snake, plural: plural(snake), table: `${name}_${plural(snake)}`, fields };
  });
  return { name, title: titleCase(name), entities };
}

const lines = (...parts: (string | string[])[]): string[] => parts.flat();

/** Joins top-level blocks with the two blank lines PEP 8 asks for. */
function blocks(parts: string[][]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    if (out.length > 0) out.push('', '');
    out.push(...part);
  }
  return out;
}

function render(section: Section): string {
  const body = section.body;
  const head = section.imports.length > 0 ? [...section.imports, '', ''] : [];
  return [...head, ...body, ''].join('\n');
}

// ---------------------------------------------------------------------------------------------- models

function modelsModule(rng: Rng, domain: Domain): Section {
  const classes = domain.entities.map((e, i) => {
    const other = domain.entities[(i + 1) % domain.entities.length];
    const columns = e.fields.map((f) => `    ${f.name} = db.Column(${f.column})`);
    const related =
      other && other !== e && rng.chance(0.6)
        ? [
            `    ${other.snake}_id = db.Column(db.Integer, db.ForeignKey("${other.table}.id"), index=True)`,
            `    ${other.snake} = relationship("${other.cls}", backref=db.backref("${e.plural}", lazy="dynamic"))`,
          ]
        : [];
    const dict = e.fields.map((f) =>
      f.kind === 'date'
        ? `            "${f.name}": self.${f.name}.isoformat() if self.${f.name} else None,`
        : f.kind === 'num'
          ? `            "${f.name}": float(self.${f.name} or 0),`
          : `            "${f.name}": self.${f.name},`,
    );
    const extra: string[][] = [];
    if (e.fields.some((f) => f.name === 'status'))
      extra.push([
        '    @property',
        '    def is_open(self):',
        '        return self.status in ("draft", "open", "pending")',
        '',
        '    def close(self, reason=None):',
        '        if not self.is_open:',
        `            raise ValueError("${e.cls} %s is already closed" % self.id)`,
        '        self.status = "closed"',
        '        if reason:',
        '            self.notes = (self.notes or "") + "\\nClosed: " + reason',
        '        self.updated_at = datetime.utcnow()',
      ]);
    if (e.fields.some((f) => f.name === 'amount'))
      extra.push([
        '    def total(self, tax_rate=Decimal("0.20")):',
        '        amount = Decimal(self.amount or 0)',
        '        if amount <= 0:',
        '            return Decimal("0.00")',
        '        return (amount * (1 + tax_rate)).quantize(Decimal("0.01"))',
      ]);
    if (rng.chance(0.5))
      extra.push([
        '    @classmethod',
        '    def recent(cls, days=30, limit=50):',
        '        since = datetime.utcnow() - timedelta(days=days)',
        '        return cls.query.filter(cls.created_at >= since).order_by(cls.created_at.desc()).limit(limit).all()',
      ]);
    return lines(
      `class ${e.cls}(db.Model):`,
      `    __tablename__ = "${e.table}"`,
      '',
      '    id = db.Column(db.Integer, primary_key=True)',
      columns,
      '    owner_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)',
      related,
      '    created_at = db.Column(db.DateTime, default=datetime.utcnow, nullable=False)',
      '    updated_at = db.Column(db.DateTime, default=datetime.utcnow, onupdate=datetime.utcnow)',
      '',
      '    owner = relationship("User")',
      '',
      '    def __repr__(self):',
      `        return f"<${e.cls} {self.id} {self.name!r}>"`,
      '',
      '    def to_dict(self):',
      '        return {',
      '            "id": self.id,',
      dict,
      '            "owner_id": self.owner_id,',
      '            "created_at": self.created_at.isoformat() if self.created_at else None,',
      '        }',
      '',
      '    @classmethod',
      '    def find_by_name(cls, name):',
      '        return cls.query.filter_by(name=name).first()',
      '',
      '    def can_edit(self, user):',
      '        return user.is_admin or user.id == self.owner_id',
      ...extra.map((x) => ['', ...x]),
    );
  });
  return {
    imports: [
      'from datetime import datetime, timedelta',
      'from decimal import Decimal',
      '',
      'from sqlalchemy.orm import relationship',
      '',
      'from app.extensions import db',
    ],
    body: blocks([
      ['STATUS_CHOICES = [("draft", "Draft"), ("open", "Open"), ("closed", "Closed")]'],
      ...classes,
    ]),
  };
}

// ----------------------------------------------------------------------------------------------- forms

function formsModule(rng: Rng, domain: Domain): Section {
  const classes = domain.entities.map((e) =>
    lines(
      `class ${e.cls}Form(FlaskForm):`,
      e.fields.map((f) => `    ${f.name} = ${f.form}`),
      '    submit = SubmitField("Save")',
      '',
      '    def validate_name(self, field):',
      '        value = (field.data or "").strip()',
      '        if not value:',
      '            raise ValidationError("A name is required.")',
      '        if len(value) < 2:',
      '            raise ValidationError("The name is too short.")',
      '',
      '',
      `class ${e.cls}FilterForm(FlaskForm):`,
      // GET-only search forms sometimes switch CSRF off (flagged by FS502, as it should be).
      rng.chance(0.15) ? ['    class Meta:', '        csrf = False', ''] : [],
      '    q = StringField("Search", validators=[Optional(), Length(max=100)])',
      '    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1)])',
    ),
  );
  return {
    imports: [
      'from flask_wtf import FlaskForm',
      'from wtforms import (',
      '    BooleanField,',
      '    DateField,',
      '    DecimalField,',
      '    IntegerField,',
      '    SelectField,',
      '    StringField,',
      '    SubmitField,',
      '    TextAreaField,',
      '    URLField,',
      ')',
      'from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, ValidationError',
      '',
      'from .models import STATUS_CHOICES',
    ],
    body: blocks(classes),
  };
}

// ----------------------------------------------------------------------------------------------- views

function viewsModule(rng: Rng, domain: Domain, bad: number): Section {
  const d = domain.name;
  const routes: string[][] = [];
  for (const e of domain.entities) {
    const id = `${e.snake}_id`;
    const strField = e.fields.find((f) => f.kind === 'str' && f.name !== 'name')?.name ?? 'name';
    routes.push(
      lines(
        `@bp.route("/${e.plural}")`,
        '@login_required',
        `def list_${e.plural}():`,
        '    page = request.args.get("page", 1, type=int)',
        '    per_page = min(request.args.get("per_page", 20, type=int), 100)',
        `    query = ${e.cls}.query.filter_by(owner_id=current_user.id)`,
        '    term = request.args.get("q")',
        '    if term:',
        `        query = query.filter(${e.cls}.name.ilike(f"%{term}%"))`,
        `    items = query.order_by(${e.cls}.created_at.desc()).paginate(page=page, per_page=per_page)`,
        `    return render_template("${d}/${e.snake}_list.html", items=items, term=term)`,
      ),
      lines(
        `@bp.route("/${e.plural}/<int:${id}>")`,
        '@login_required',
        `def show_${e.snake}(${id}):`,
        `    ${e.snake} = ${e.cls}.query.get_or_404(${id})`,
        `    if not ${e.snake}.can_edit(current_user):`,
        '        abort(403)',
        `    return render_template("${d}/${e.snake}_detail.html", ${e.snake}=${e.snake})`,
      ),
    );
    const createAuth = rng.chance(bad * 0.6) ? [] : ['@login_required'];
    routes.push(
      lines(
        `@bp.route("/${e.plural}/new", methods=["GET", "POST"])`,
        createAuth,
        `def create_${e.snake}():`,
        `    form = ${e.cls}Form()`,
        '    if form.validate_on_submit():',
        `        ${e.snake} = ${e.cls}(owner_id=current_user.id)`,
        `        form.populate_obj(${e.snake})`,
        `        db.session.add(${e.snake})`,
        '        try:',
        '            db.session.commit()',
        '        except IntegrityError:',
        '            db.session.rollback()',
        `            flash("This ${e.snake.replace(/_/g, ' ')} already exists.", "danger")`,
        '        else:',
        `            flash("${titleCase(e.snake)} created.", "success")`,
        `            return redirect(url_for("${d}.show_${e.snake}", ${id}=${e.snake}.id))`,
        `    return render_template("${d}/${e.snake}_form.html", form=form)`,
      ),
      lines(
        `@bp.route("/${e.plural}/<int:${id}>/edit", methods=["GET", "POST"])`,
        '@login_required',
        `def edit_${e.snake}(${id}):`,
        `    ${e.snake} = ${e.cls}.query.get_or_404(${id})`,
        `    if not ${e.snake}.can_edit(current_user):`,
        '        abort(403)',
        `    form = ${e.cls}Form(obj=${e.snake})`,
        '    if form.validate_on_submit():',
        `        form.populate_obj(${e.snake})`,
        '        db.session.commit()',
        '        flash("Saved.", "success")',
        rng.chance(bad * 0.5)
          ? [
              '        return redirect(request.args.get("next") or url_for("' +
                d +
                '.list_' +
                e.plural +
                '"))',
            ]
          : [
              '        target = request.args.get("next")',
              '        if not is_safe_redirect(target):',
              `            target = url_for("${d}.show_${e.snake}", ${id}=${e.snake}.id)`,
              '        return redirect(target)',
            ],
        `    return render_template("${d}/${e.snake}_form.html", form=form, ${e.snake}=${e.snake})`,
      ),
      lines(
        `@bp.route("/${e.plural}/<int:${id}>/delete", methods=["POST"])`,
        rng.chance(bad) ? [] : ['@login_required'],
        rng.chance(0.5) ? ['@admin_required'] : [],
        `def delete_${e.snake}(${id}):`,
        `    ${e.snake} = ${e.cls}.query.get_or_404(${id})`,
        `    db.session.delete(${e.snake})`,
        '    db.session.commit()',
        `    log.info("deleted ${e.snake} %s", ${id})`,
        `    return redirect(url_for("${d}.list_${e.plural}"))`,
      ),
    );
    // A JSON search API: raw SQL, parameterised (and now and then built from strings).
    const stringBuilt = rng.chance(bad);
    routes.push(
      lines(
        `@bp.route("/api/${e.plural}/search")`,
        rng.chance(0.7) ? ['@login_required'] : [],
        `def search_${e.plural}_api():`,
        '    term = request.args.get("q", "").strip()',
        '    limit = request.args.get("limit", 25, type=int)',
        '    if not term:',
        '        return jsonify([])',
        stringBuilt
          ? [
              `    sql = "SELECT id, name, ${strField} FROM ${e.table} WHERE name LIKE '%" + term + "%' LIMIT %d" % limit`,
              '    rows = db.session.execute(text(sql)).fetchall()',
            ]
          : [
              '    rows = db.session.execute(',
              `        text("SELECT id, name, ${strField} FROM ${e.table} WHERE name LIKE :term LIMIT :limit"),`,
              '        {"term": f"%{term}%", "limit": min(limit, 100)},',
              '    ).fetchall()',
            ],
        '    return jsonify([dict(row._mapping) for row in rows])',
      ),
    );
    if (rng.chance(0.7))
      routes.push(
        lines(
          `@bp.route("/api/${e.plural}/<int:${id}>", methods=["PATCH"])`,
          '@login_required',
          `def update_${e.snake}_api(${id}):`,
          `    ${e.snake} = ${e.cls}.query.get_or_404(${id})`,
          `    if not ${e.snake}.can_edit(current_user):`,
          '        return jsonify(error="forbidden"), 403',
          '    payload = request.get_json(silent=True) or {}',
          rng.chance(bad * 0.5)
            ? ['    for key, value in payload.items():', `        setattr(${e.snake}, key, value)`]
            : [
                `    for key in ${JSON.stringify(e.fields.slice(0, 3).map((f) => f.name)).replace(/,/g, ', ')}:`,
                '        if key in payload:',
                `            setattr(${e.snake}, key, payload[key])`,
              ],
          '    try:',
          '        db.session.commit()',
          '    except IntegrityError as exc:',
          '        db.session.rollback()',
          '        log.warning("update failed: %s", exc)',
          rng.chance(bad * 0.5)
            ? ['        return jsonify(error=str(exc)), 409']
            : ['        return jsonify(error="conflict"), 409'],
          `    return jsonify(${e.snake}.to_dict())`,
        ),
      );
    if (rng.chance(0.5))
      routes.push(
        lines(
          `@bp.route("/${e.plural}/export.csv")`,
          '@login_required',
          `def export_${e.plural}():`,
          '    buffer = io.StringIO()',
          '    writer = csv.writer(buffer)',
          `    writer.writerow(${JSON.stringify(['id', ...e.fields.slice(0, 4).map((f) => f.name)]).replace(/,/g, ', ')})`,
          `    for item in ${e.cls}.query.filter_by(owner_id=current_user.id).yield_per(500):`,
          `        writer.writerow([item.id, ${e.fields
            .slice(0, 4)
            .map((f) => `item.${f.name}`)
            .join(', ')}])`,
          '    response = make_response(buffer.getvalue())',
          '    response.headers["Content-Type"] = "text/csv; charset=utf-8"',
          `    response.headers["Content-Disposition"] = "attachment; filename=${e.plural}.csv"`,
          '    return response',
        ),
      );
    if (rng.chance(0.4))
      routes.push(
        lines(
          `@bp.route("/${e.plural}/stats")`,
          '@login_required',
          `def ${e.snake}_stats():`,
          '    rows = db.session.execute(',
          `        text("SELECT status, COUNT(*) AS n FROM ${e.table} WHERE owner_id = :owner GROUP BY status"),`,
          '        {"owner": current_user.id},',
          '    ).fetchall()',
          '    totals = {row.status: row.n for row in rows}',
          '    totals["all"] = sum(totals.values())',
          `    return render_template("${d}/stats.html", totals=totals, title="${titleCase(e.plural)}")`,
        ),
      );
  }
  if (rng.chance(bad * 2))
    routes.push(
      lines(
        '@bp.route("/attachments/<path:name>")',
        '@login_required',
        'def download_attachment(name):',
        '    folder = current_app.config["UPLOAD_FOLDER"]',
        '    return send_file(os.path.join(folder, name))',
      ),
    );
  if (rng.chance(bad * 2))
    routes.push(
      lines(
        '@bp.route("/preview")',
        '@login_required',
        'def preview_remote():',
        '    url = request.args.get("url", "")',
        '    response = requests.get(url, timeout=5)',
        '    return response.text, response.status_code',
      ),
    );
  const first = domain.entities[0] as Entity;
  return {
    imports: [
      'import csv',
      'import io',
      'import logging',
      'import os',
      '',
      'import requests',
      'from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request, send_file, url_for',
      'from flask_login import current_user, login_required',
      'from sqlalchemy import text',
      'from sqlalchemy.exc import IntegrityError',
      '',
      'from app.auth.decorators import admin_required',
      'from app.extensions import db',
      'from app.helpers import is_safe_redirect',
      '',
      'from . import bp',
      `from .forms import ${domain.entities.map((e) => `${e.cls}Form`).join(', ')}`,
      `from .models import ${domain.entities.map((e) => e.cls).join(', ')}`,
    ],
    body: blocks([
      ['log = logging.getLogger(__name__)'],
      lines(
        '@bp.route("/")',
        '@login_required',
        'def index():',
        `    recent = ${first.cls}.query.filter_by(owner_id=current_user.id).limit(10).all()`,
        `    return render_template("${d}/index.html", recent=recent, section="${domain.title}")`,
      ),
      ...routes,
    ]),
  };
}

// -------------------------------------------------------------------------------------------- services

function servicesModule(rng: Rng, domain: Domain, bad: number): Section {
  const classes = domain.entities.map((e) => {
    const hasAmount = e.fields.some((f) => f.name === 'amount');
    const methods: string[][] = [
      [
        '    def __init__(self, session=None, notifier=None):',
        '        self.session = session or db.session',
        '        self.notifier = notifier',
      ],
      [
        '    def create(self, owner, data):',
        `        ${e.snake} = ${e.cls}(owner_id=owner.id)`,
        '        for key, value in data.items():',
        '            if key in self.EDITABLE:',
        `                setattr(${e.snake}, key, value)`,
        `        self.session.add(${e.snake})`,
        '        self.session.commit()',
        `        log.info("created ${e.snake} %s for user %s", ${e.snake}.id, owner.id)`,
        `        return ${e.snake}`,
      ],
      [
        `    def bulk_update(self, ids, **changes):`,
        '        changes = {k: v for k, v in changes.items() if k in self.EDITABLE}',
        '        if not changes or not ids:',
        '            return 0',
        `        count = ${e.cls}.query.filter(${e.cls}.id.in_(ids)).update(changes, synchronize_session=False)`,
        '        self.session.commit()',
        '        return count',
      ],
      [
        '    def sync_remote(self, item, endpoint):',
        '        try:',
        rng.chance(bad)
          ? '            response = requests.post(endpoint, json=item.to_dict(), timeout=10, verify=False)'
          : '            response = requests.post(endpoint, json=item.to_dict(), timeout=10)',
        '            response.raise_for_status()',
        '        except requests.RequestException as exc:',
        '            log.warning("sync of %s failed: %s", item.id, exc)',
        '            return False',
        '        item.external_id = response.json().get("id")',
        '        self.session.commit()',
        '        return True',
      ],
      [
        '    def fingerprint(self, item):',
        '        payload = json.dumps(item.to_dict(), sort_keys=True, default=str)',
        rng.chance(bad)
          ? '        return hashlib.md5(payload.encode("utf-8")).hexdigest()'
          : '        return hashlib.sha256(payload.encode("utf-8")).hexdigest()',
      ],
      [
        '    def share_token(self, item):',
        rng.chance(bad)
          ? '        return "".join(random.choice(string.ascii_letters) for _ in range(24))'
          : '        return secrets.token_urlsafe(24)',
      ],
    ];
    if (hasAmount)
      methods.push([
        '    def summarize(self, items):',
        '        total = Decimal("0")',
        '        largest = None',
        '        for item in items:',
        '            amount = Decimal(item.amount or 0)',
        '            total += amount',
        '            if largest is None or amount > largest:',
        '                largest = amount',
        '        average = (total / len(items)).quantize(Decimal("0.01")) if items else Decimal("0")',
        '        return {"total": total, "largest": largest, "average": average, "count": len(items)}',
      ]);
    methods.push([
      '    def archive_stale(self, days=180):',
      '        cutoff = datetime.utcnow() - timedelta(days=days)',
      `        stale = ${e.cls}.query.filter(${e.cls}.updated_at < cutoff).all()`,
      '        for item in stale:',
      '            self.session.delete(item)',
      '        self.session.commit()',
      '        if self.notifier and stale:',
      `            self.notifier.send("archived %d ${e.plural.replace(/_/g, ' ')}" % len(stale))`,
      '        return len(stale)',
    ]);
    const editable = e.fields.filter((f) => f.name !== 'status').map((f) => `"${f.name}"`);
    return lines(
      `class ${e.cls}Service:`,
      `    """Business rules for ${e.plural.replace(/_/g, ' ')}."""`,
      '',
      `    EDITABLE = frozenset({${editable.join(', ')}})`,
      ...methods.map((m) => ['', ...m]),
    );
  });
  const extra: string[][] = [];
  if (rng.chance(bad * 2))
    extra.push([
      'def render_report(template_name, context):',
      '    command = "wkhtmltopdf %s /tmp/report.pdf" % template_name',
      '    subprocess.call(command, shell=True)',
      '    return context',
    ]);
  else
    extra.push([
      'def render_report(template_name, context):',
      '    subprocess.run(["wkhtmltopdf", template_name, "-"], check=True, capture_output=True, timeout=60)',
      '    return context',
    ]);
  if (rng.chance(bad))
    extra.push(['def load_settings(raw):', '    return yaml.load(raw, Loader=yaml.Loader)']);
  else extra.push(['def load_settings(raw):', '    return yaml.safe_load(raw) or {}']);
  return {
    imports: [
      'import hashlib',
      'import json',
      'import logging',
      'import random',
      'import secrets',
      'import string',
      'import subprocess',
      'from datetime import datetime, timedelta',
      'from decimal import Decimal',
      '',
      'import requests',
      'import yaml',
      '',
      'from app.extensions import db',
      '',
      `from .models import ${domain.entities.map((e) => e.cls).join(', ')}`,
    ],
    body: blocks([['log = logging.getLogger(__name__)'], ...classes, ...extra]),
  };
}

// ------------------------------------------------------------------------------------------ repository

function repositoryModule(rng: Rng, domain: Domain, bad: number): Section {
  const fns = domain.entities.flatMap((e) => [
    lines(
      `def fetch_${e.snake}(conn, ${e.snake}_id):`,
      `    cur = conn.execute(text("SELECT * FROM ${e.table} WHERE id = :id"), {"id": ${e.snake}_id})`,
      '    row = cur.fetchone()',
      '    return dict(row._mapping) if row else None',
    ),
    lines(
      `def count_${e.plural}_by_owner(conn, owner_id, status=None):`,
      `    sql = "SELECT COUNT(*) FROM ${e.table} WHERE owner_id = :owner"`,
      '    params = {"owner": owner_id}',
      '    if status is not None:',
      '        sql += " AND status = :status"',
      '        params["status"] = status',
      '    return conn.execute(text(sql), params).scalar()',
    ),
    rng.chance(bad)
      ? lines(
          `def sorted_${e.plural}(conn, order_by, direction="ASC"):`,
          `    sql = "SELECT id, name FROM ${e.table} ORDER BY %s %s" % (order_by, direction)`,
          '    return conn.execute(text(sql)).fetchall()',
        )
      : lines(
          `def sorted_${e.plural}(conn, order_by, direction="ASC"):`,
          '    column = SORTABLE.get(order_by, "created_at")',
          '    direction = "DESC" if direction.upper() == "DESC" else "ASC"',
          `    sql = text("SELECT id, name FROM ${e.table} ORDER BY " + column + " " + direction)  # nosec`,
          '    return conn.execute(sql).fetchall()',
        ),
    lines(
      `def insert_${e.plural}(conn, rows):`,
      '    if not rows:',
      '        return 0',
      '    stmt = text(',
      `        "INSERT INTO ${e.table} (name, owner_id, created_at) VALUES (:name, :owner_id, CURRENT_TIMESTAMP)"`,
      '    )',
      '    result = conn.execute(stmt, [{"name": r["name"], "owner_id": r["owner_id"]} for r in rows])',
      '    return result.rowcount',
    ),
  ]);
  return {
    imports: ['from sqlalchemy import text'],
    body: blocks([
      ['SORTABLE = {"name": "name", "created": "created_at", "updated": "updated_at"}'],
      ...fns,
      lines(
        'def legacy_lookup(db_path, key):',
        '    with sqlite3.connect(db_path) as conn:',
        '        cursor = conn.cursor()',
        rng.chance(bad)
          ? ['        cursor.execute("SELECT value FROM legacy WHERE key = \'%s\'" % key)']
          : ['        cursor.execute("SELECT value FROM legacy WHERE key = ?", (key,))'],
        '        row = cursor.fetchone()',
        '    return row[0] if row else None',
      ),
    ]),
  };
}

// --------------------------------------------------------------------------------------------- helpers

function helpersModule(rng: Rng, domain: Domain): Section {
  const fns: string[][] = [
    [
      'def slugify(value, max_length=64):',
      '    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")',
      '    value = re.sub(r"[^\\w\\s-]", "", value).strip().lower()',
      '    return re.sub(r"[-\\s]+", "-", value)[:max_length]',
    ],
    [
      'def parse_date(value, default=None):',
      '    if not value:',
      '        return default',
      '    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"):',
      '        try:',
      '            return datetime.strptime(value, fmt).date()',
      '        except ValueError:',
      '            continue',
      '    return default',
    ],
    [
      'def format_money(amount, currency="EUR"):',
      '    if amount is None:',
      '        return "-"',
      '    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency, currency + " ")',
      '    return f"{symbol}{amount:,.2f}"',
    ],
    [
      'def chunked(items, size=100):',
      '    batch = []',
      '    for item in items:',
      '        batch.append(item)',
      '        if len(batch) >= size:',
      '            yield batch',
      '            batch = []',
      '    if batch:',
      '        yield batch',
    ],
    [
      'def timed(name=None):',
      '    def decorator(fn):',
      '        @wraps(fn)',
      '        def wrapper(*args, **kwargs):',
      '            started = time.perf_counter()',
      '            try:',
      '                return fn(*args, **kwargs)',
      '            finally:',
      '                elapsed = (time.perf_counter() - started) * 1000',
      '                log.debug("%s took %.1f ms", name or fn.__name__, elapsed)',
      '',
      '        return wrapper',
      '',
      '    return decorator',
    ],
  ];
  for (const e of domain.entities)
    fns.push([
      `def ${e.snake}_label(${e.snake}):`,
      `    parts = [${e.snake}.name]`,
      ...e.fields
        .filter((f) => f.kind === 'str' && f.name !== 'name')
        .slice(0, 2)
        .flatMap((f) => [`    if ${e.snake}.${f.name}:`, `        parts.append(str(${e.snake}.${f.name}))`]),
      '    return " · ".join(parts)',
    ]);
  if (rng.chance(0.5))
    fns.push([
      'def paginate_args(args, default_per_page=20):',
      '    try:',
      '        page = max(int(args.get("page", 1)), 1)',
      '        per_page = min(max(int(args.get("per_page", default_per_page)), 1), 100)',
      '    except (TypeError, ValueError):',
      '        page, per_page = 1, default_per_page',
      '    return page, per_page',
    ]);
  return {
    imports: [
      'import logging',
      'import re',
      'import time',
      'import unicodedata',
      'from datetime import datetime',
      'from functools import wraps',
    ],
    body: blocks([['log = logging.getLogger(__name__)'], ...fns]),
  };
}

// ----------------------------------------------------------------------------------------------- tasks

function tasksModule(_rng: Rng, domain: Domain): Section {
  const fns = domain.entities.map((e) =>
    lines(
      '@shared_task(bind=True, max_retries=3, default_retry_delay=60)',
      `def refresh_${e.plural}(self, owner_id):`,
      '    try:',
      `        count = ${e.cls}Service().archive_stale(days=365)`,
      '    except Exception as exc:',
      '        raise self.retry(exc=exc)',
      `    log.info("refreshed ${e.plural} for %s: %d archived", owner_id, count)`,
      '    return count',
    ),
  );
  return {
    imports: [
      'import logging',
      '',
      'from celery import shared_task',
      '',
      `from .services import ${domain.entities.map((e) => `${e.cls}Service`).join(', ')}`,
    ],
    body: blocks([['log = logging.getLogger(__name__)'], ...fns]),
  };
}

// ------------------------------------------------------------------------------------------ app shell

function appShell(rng: Rng, domains: Domain[]): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const file = (p: string, section: Section) => files.push({ path: p, text: render(section) });
  file('app/extensions.py', {
    imports: [
      'from flask_caching import Cache',
      'from flask_login import LoginManager',
      'from flask_migrate import Migrate',
      'from flask_sqlalchemy import SQLAlchemy',
      'from flask_wtf.csrf import CSRFProtect',
    ],
    body: [
      'db = SQLAlchemy()',
      'migrate = Migrate()',
      'login_manager = LoginManager()',
      'login_manager.login_view = "auth.login"',
      'csrf = CSRFProtect()',
      'cache = Cache()',
    ],
  });
  file('app/config.py', {
    imports: ['import os', 'from datetime import timedelta'],
    body: blocks([
      [
        'class Config:',
        '    SECRET_KEY = os.environ.get("SECRET_KEY")',
        '    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///app.db")',
        '    SQLALCHEMY_TRACK_MODIFICATIONS = False',
        '    SESSION_COOKIE_SECURE = True',
        '    SESSION_COOKIE_HTTPONLY = True',
        '    SESSION_COOKIE_SAMESITE = "Lax"',
        '    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)',
        '    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", "/srv/uploads")',
        '    MAX_CONTENT_LENGTH = 16 * 1024 * 1024',
        '    CACHE_TYPE = "SimpleCache"',
      ],
      lines(
        'class DevelopmentConfig(Config):',
        '    DEBUG = True',
        '    SESSION_COOKIE_SECURE = False',
        rng.chance(0.5) ? ['    SECRET_KEY = "dev-only-not-secret"'] : [],
      ),
      ['class TestingConfig(Config):', '    TESTING = True', '    SQLALCHEMY_DATABASE_URI = "sqlite://"'],
      ['class ProductionConfig(Config):', '    SECRET_KEY = os.environ["SECRET_KEY"]'],
      [
        'config_by_name = {',
        '    "development": DevelopmentConfig,',
        '    "testing": TestingConfig,',
        '    "production": ProductionConfig,',
        '}',
      ],
    ]),
  });
  file('app/helpers.py', {
    imports: ['from urllib.parse import urljoin, urlparse', '', 'from flask import request'],
    body: blocks([
      [
        'def is_safe_redirect(target):',
        '    if not target:',
        '        return False',
        '    host = urlparse(request.host_url)',
        '    test = urlparse(urljoin(request.host_url, target))',
        '    return test.scheme in ("http", "https") and host.netloc == test.netloc',
      ],
    ]),
  });
  file('app/auth/__init__.py', {
    imports: ['from flask import Blueprint'],
    body: [
      'bp = Blueprint("auth", __name__, url_prefix="/auth")',
      '',
      'from . import views  # noqa: E402,F401',
    ],
  });
  file('app/auth/decorators.py', {
    imports: [
      'from functools import wraps',
      '',
      'from flask import abort',
      'from flask_login import current_user',
    ],
    body: blocks([
      [
        'def admin_required(view):',
        '    @wraps(view)',
        '    def wrapped(*args, **kwargs):',
        '        if not current_user.is_authenticated or not current_user.is_admin:',
        '            abort(403)',
        '        return view(*args, **kwargs)',
        '',
        '    return wrapped',
      ],
      [
        'def roles_required(*roles):',
        '    def decorator(view):',
        '        @wraps(view)',
        '        def wrapped(*args, **kwargs):',
        '            if not current_user.is_authenticated:',
        '                abort(401)',
        '            if not set(roles) & set(current_user.roles):',
        '                abort(403)',
        '            return view(*args, **kwargs)',
        '',
        '        return wrapped',
        '',
        '    return decorator',
      ],
    ]),
  });
  file('app/auth/models.py', {
    imports: [
      'from datetime import datetime',
      '',
      'from flask_login import UserMixin',
      'from werkzeug.security import check_password_hash, generate_password_hash',
      '',
      'from app.extensions import db, login_manager',
    ],
    body: blocks([
      [
        'class User(UserMixin, db.Model):',
        '    __tablename__ = "users"',
        '',
        '    id = db.Column(db.Integer, primary_key=True)',
        '    email = db.Column(db.String(255), unique=True, nullable=False)',
        '    password_hash = db.Column(db.String(255), nullable=False)',
        '    is_admin = db.Column(db.Boolean, default=False)',
        '    roles = db.Column(db.JSON, default=list)',
        '    created_at = db.Column(db.DateTime, default=datetime.utcnow)',
        '',
        '    def set_password(self, password):',
        '        self.password_hash = generate_password_hash(password)',
        '',
        '    def check_password(self, password):',
        '        return check_password_hash(self.password_hash, password)',
      ],
      [
        '@login_manager.user_loader',
        'def load_user(user_id):',
        '    return db.session.get(User, int(user_id))',
      ],
    ]),
  });
  file('app/auth/views.py', {
    imports: [
      'from flask import flash, redirect, render_template, request, url_for',
      'from flask_login import login_required, login_user, logout_user',
      '',
      'from app.helpers import is_safe_redirect',
      '',
      'from . import bp',
      'from .models import User',
    ],
    body: blocks([
      [
        '@bp.route("/login", methods=["GET", "POST"])',
        'def login():',
        '    if request.method == "POST":',
        '        user = User.query.filter_by(email=request.form.get("email", "")).first()',
        '        if user is None or not user.check_password(request.form.get("password", "")):',
        '            flash("Invalid credentials.", "danger")',
        '            return render_template("auth/login.html"), 401',
        '        login_user(user, remember=request.form.get("remember") == "on")',
        '        target = request.args.get("next")',
        '        if not is_safe_redirect(target):',
        '            target = url_for("main.index")',
        '        return redirect(target)',
        '    return render_template("auth/login.html")',
      ],
      [
        '@bp.route("/logout", methods=["POST"])',
        '@login_required',
        'def logout():',
        '    logout_user()',
        '    return redirect(url_for("auth.login"))',
      ],
    ]),
  });
  const registrations = domains.flatMap((d) => [
    `    from .${d.name} import bp as ${d.name}_bp`,
    '',
    `    app.register_blueprint(${d.name}_bp)`,
  ]);
  file('app/__init__.py', {
    imports: [
      'import logging',
      'import os',
      '',
      'from flask import Flask, jsonify, render_template',
      '',
      'from .config import config_by_name',
      'from .extensions import cache, csrf, db, login_manager, migrate',
    ],
    body: blocks([
      [
        'def create_app(config_name=None):',
        '    app = Flask(__name__, instance_relative_config=True)',
        '    config_name = config_name or os.environ.get("FLASK_CONFIG", "production")',
        '    app.config.from_object(config_by_name[config_name])',
        '    app.config.from_pyfile("settings.py", silent=True)',
        '',
        '    db.init_app(app)',
        '    migrate.init_app(app, db)',
        '    login_manager.init_app(app)',
        '    csrf.init_app(app)',
        '    cache.init_app(app)',
        '',
        '    from .auth import bp as auth_bp',
        '',
        '    app.register_blueprint(auth_bp)',
        ...registrations,
        '',
        '    register_error_handlers(app)',
        '    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))',
        '    return app',
      ],
      [
        'def register_error_handlers(app):',
        '    @app.errorhandler(404)',
        '    def not_found(error):',
        '        if request_wants_json():',
        '            return jsonify(error="not found"), 404',
        '        return render_template("errors/404.html"), 404',
        '',
        '    @app.errorhandler(500)',
        '    def server_error(error):',
        '        db.session.rollback()',
        '        return render_template("errors/500.html"), 500',
      ],
      [
        'def request_wants_json():',
        '    from flask import request',
        '',
        '    best = request.accept_mimetypes.best_match(["application/json", "text/html"])',
        '    return best == "application/json"',
      ],
    ]),
  });
  files.push({
    path: 'wsgi.py',
    text: render({
      imports: ['from app import create_app'],
      body: [
        'app = create_app()',
        '',
        'if __name__ == "__main__":',
        '    app.run(host="127.0.0.1", port=int(__import__("os").environ.get("PORT", "5000")))',
      ],
    }),
  });
  return files;
}

// ------------------------------------------------------------------------------------------ assembly

function domainSections(rng: Rng, domain: Domain) {
  // The share of functions carrying a mistake, per domain: most domains are clean, a few are sloppy.
  const bad = rng.chance(0.25) ? 0.12 : 0.02;
  return {
    models: modelsModule(rng.fork('models'), domain),
    forms: formsModule(rng.fork('forms'), domain),
    views: viewsModule(rng.fork('views'), domain, bad),
    services: servicesModule(rng.fork('services'), domain, bad),
    repository: repositoryModule(rng.fork('repository'), domain, bad),
    helpers: helpersModule(rng.fork('helpers'), domain),
    tasks: tasksModule(rng.fork('tasks'), domain),
  };
}

const countLines = (text: string) => text.split('\n').length - 1;

/** A whole project of about `targetLines` lines. */
export function generateCodebase(targetLines: number, seed: number): Codebase {
  const rng = new Rng(seed);
  const files: GeneratedFile[] = [];
  const domains: Domain[] = [];
  let total = 0;
  // The shell (factory, config, auth) is small; domains are added until the target is reached.
  for (let i = 0; total < targetLines - 250; i++) {
    const domain = makeDomain(rng.fork(`domain${i}`), i);
    domains.push(domain);
    const s = domainSections(rng.fork(`sections${i}`), domain);
    const dir = `app/${domain.name}`;
    const add = (name: string, section: Section) => {
      const text = render(section);
      files.push({ path: `${dir}/${name}`, text });
      total += countLines(text);
    };
    add('__init__.py', {
      imports: ['from flask import Blueprint'],
      body: [
        `bp = Blueprint("${domain.name}", __name__, url_prefix="/${domain.name.replace(/_/g, '-')}", template_folder="templates")`,
        '',
        'from . import views  # noqa: E402,F401',
      ],
    });
    add('models.py', s.models);
    add('forms.py', s.forms);
    add('views.py', s.views);
    add('services.py', s.services);
    add('repository.py', {
      ...s.repository,
      imports: ['import sqlite3', '', ...s.repository.imports],
    });
    add('helpers.py', s.helpers);
    add('tasks.py', s.tasks);
  }
  for (const f of appShell(rng.fork('shell'), domains)) {
    files.push(f);
    total += countLines(f.text);
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { files, lines: total };
}

/** Module-level names each section module defines for itself; one module defines them once. */
const DEFINED_ONCE = /^(log|STATUS_CHOICES|SORTABLE) = /;
/** Functions every domain's modules define under the same name; in one module each takes its domain's. */
const NAMED_PER_DOMAIN =
  /^def (index|preview_remote|download_attachment|render_report|load_settings|legacy_lookup)\(/;

/**
 * A section's body as part of one module: the module-level names it shares with other sections are defined
 * only the first time, and its per-domain functions are named after the domain (Flask refuses a second
 * `index` view on a blueprint, and Python keeps only the last of two same-named definitions).
 */
function inOneModule(lines: readonly string[], domain: Domain, defined: Set<string>): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const once = DEFINED_ONCE.exec(line)?.[1];
    if (once !== undefined) {
      if (defined.has(once)) continue;
      defined.add(once);
    }
    const previousBlank = out.length === 0 || (out[out.length - 1] === '' && out[out.length - 2] === '');
    if (line === '' && previousBlank) continue;
    out.push(line.replace(NAMED_PER_DOMAIN, `def ${domain.name}_$1(`));
  }
  return out;
}

/**
 * One large module of about `targetLines` lines (the typing simulation's document): the models, forms,
 * services and views of several domains in one file, as happens in apps that never split their views. It is
 * a module Python and Flask would load: no class, view or module-level name is defined twice.
 */
export function generateSingleFile(targetLines: number, seed: number): string {
  const rng = new Rng(seed);
  const imports = new Set<string>();
  const body: string[][] = [];
  const classes = new Set<string>();
  const defined = new Set<string>();
  let total = 0;
  for (let i = 0; total < targetLines - 40; i++) {
    const domain = makeDomain(rng.fork(`domain${i}`), i, classes);
    const s = domainSections(rng.fork(`sections${i}`), domain);
    for (const section of [s.models, s.forms, s.services, s.repository, s.views]) {
      for (const line of section.imports) if (line && !line.startsWith('from .')) imports.add(line);
      const lines = inOneModule(section.body, domain, defined);
      body.push(lines);
      total += lines.length + 2;
    }
  }
  // Deduplicated, sorted imports; the multi-line `from wtforms import (...)` is kept whole.
  imports.add('from flask import Blueprint');
  const header = [...imports].filter((l) => !/^\s|^\)$/.test(l) && !l.endsWith('('));
  header.sort();
  const wtforms = [
    'from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField',
    'from wtforms import SubmitField, TextAreaField, URLField',
  ];
  return [...header, ...wtforms, '', 'bp = Blueprint("legacy", __name__)', '', '', ...blocks(body), ''].join(
    '\n',
  );
}

export function writeCodebase(dir: string, codebase: Codebase): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of codebase.files) {
    const full = path.join(dir, ...f.path.split('/'));
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, f.text);
  }
}
