-- Tables that work at every width and on paper (used by the embedded renderer; Quarto can
-- list it under `filters:` too).
-- HTML: every table sits in <div class="table-scroll" tabindex="0" role="region"
--   aria-label="…">, so a table wider than the page scrolls inside a region that a keyboard
--   can reach and a screen reader names (WCAG 2.1.1; axe "scrollable-region-focusable"); the
--   label is the table's caption, or its column headings.
-- Typst: cells are set ragged-right (no justified gaps), and tables with many columns in a
--   smaller type so that they fit the text width; the header row repeats on each page
--   (Typst's table.header) and the figure around a table may break across pages (preamble).
-- Both: a long identifier in a cell (Noseworthy2000_MSweakness, guillain_barre_syndrome,
--   a path) may break after an underscore or a slash instead of widening its column past
--   the page (web: <wbr>, which copies as nothing; PDF: a zero-width space).

local function plain(inlines)
  return pandoc.utils.stringify(inlines):gsub("%s+", " ")
end

local function label_of(tbl)
  local cap = plain(tbl.caption.long or {})
  if cap ~= "" then return "Table: " .. cap end
  local heads = {}
  if tbl.head and tbl.head.rows and tbl.head.rows[1] then
    for _, cell in ipairs(tbl.head.rows[1].cells) do
      local t = plain(cell.contents)
      if t ~= "" then table.insert(heads, t) end
    end
  end
  if #heads > 0 then return "Table: " .. table.concat(heads, ", ") end
  return "Table"
end

local LONG = 12

local function long_identifier(text)
  return #text > LONG and text:find("[_/]") ~= nil
end

-- HTML: the identifier as pieces with a <wbr> after each underscore or slash
local function html_breakable(s)
  if not long_identifier(s.text) then return nil end
  local out = pandoc.Inlines({})
  for piece, sep in s.text:gmatch("([^_/]*)([_/]?)") do
    if piece ~= "" or sep ~= "" then
      out:insert(pandoc.Str(piece .. sep))
      if sep ~= "" then out:insert(pandoc.RawInline("html", "<wbr>")) end
    end
  end
  return out
end

-- Typst: a zero-width space after each underscore or slash, and between a name and the
-- year that follows it ("NobileOrazio2012_CIDP"), in text and inline code alike
local function zwsp(text)
  local out = text:gsub("([_/])", "%1\u{200B}")
  return (out:gsub("(%a)(%d%d%d%d)", "%1\u{200B}%2"))
end

local typst_breakable = {
  Str = function(s)
    if long_identifier(s.text) then return pandoc.Str(zwsp(s.text)) end
  end,
  Code = function(c)
    if long_identifier(c.text) then c.text = zwsp(c.text); return c end
  end,
}

-- HTML: each body cell carries its column's heading (data-label), so that a narrow
-- column can show a row as a card of "heading: value" lines (styles.scss, site.css);
-- a summary-of-findings table (a "Certainty" heading) gets the class that does so.
local function head_texts(tbl)
  local heads = {}
  if tbl.head and tbl.head.rows and tbl.head.rows[1] then
    for i, cell in ipairs(tbl.head.rows[1].cells) do heads[i] = plain(cell.contents) end
  end
  return heads
end

local function label_cells(tbl, heads)
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      for i, cell in ipairs(row.cells) do
        if heads[i] and heads[i] ~= "" then cell.attributes["data-label"] = heads[i] end
      end
    end
  end
  return tbl
end

local function is_findings(heads)
  for _, h in ipairs(heads) do
    if h == "Certainty" or h:match("^Certainty ") then return true end
  end
  return false
end

function Table(tbl)
  if FORMAT:match("html") then
    tbl = tbl:walk({Str = html_breakable})
    local heads = head_texts(tbl)
    tbl = label_cells(tbl, heads)
    local classes = {"table-scroll"}
    if is_findings(heads) then table.insert(classes, "sof-cards") end
    local attr = pandoc.Attr("", classes, {
      {"tabindex", "0"}, {"role", "region"}, {"aria-label", label_of(tbl)},
    })
    return pandoc.Div({tbl}, attr)
  end
  if FORMAT:match("typst") then
    tbl = tbl:walk(typst_breakable)
    local ncol = #tbl.colspecs
    local size = ncol >= 6 and "7.5pt" or (ncol >= 4 and "8pt" or "8.5pt")
    return {
      pandoc.RawBlock("typst", "#[#set par(justify: false)\n#show table: set text(size: " .. size .. ")\n#set table(align: left)"),
      tbl,
      pandoc.RawBlock("typst", "]"),
    }
  end
end

-- Typst: the summary of findings' footnote markers and their "back" links are links on the
-- web page (analysis/report/chapters/tables.py, footnote_marks); a page may show the same
-- table twice in the one PDF document (home page and chapter), where an anchor must be
-- unique, so on paper they are plain superscript letters and text.
local function sof_anchor(id)
  return id ~= nil and id:match("^sof%-.+%-note%-") ~= nil
end

function Span(s)
  if FORMAT:match("typst") and sof_anchor(s.identifier) then
    s.identifier = ""
    return s
  end
end

function Link(l)
  if FORMAT:match("typst") and l.target:match("^#sof%-.+%-note%-") then
    if pandoc.utils.stringify(l.content) == "(back to the table)" then return {} end
    return l.content
  end
end
