-- Quarto-style callouts for the embedded renderer (and sticky table captions in Typst):
--   ::: {.callout-note}            (note, tip, important, warning, caution)
--   ## Optional title
--   Body
--   :::
-- or ::: {.callout-warning title="Fewer than 10 trials"}.
-- HTML: <div class="callout callout-note" role="note"> with a title line.
-- Typst: a bordered block with a bold title.

local titles = {
  note = "Note", tip = "Tip", important = "Important",
  warning = "Warning", caution = "Caution",
}
local colours = {
  note = "#0b5cad", tip = "#1a7f37", important = "#8250df",
  warning = "#9a6700", caution = "#cf222e",
}

local function kind_of(div)
  for _, class in ipairs(div.classes) do
    local kind = class:match("^callout%-(%a+)$")
    if kind and titles[kind] then return kind end
  end
  return nil
end

function Div(div)
  -- a table's caption (above the table) stays on the page of the table
  if div.classes:includes("table-caption") and FORMAT:match("typst") then
    local out = pandoc.List({pandoc.RawBlock("typst", "#block(sticky: true)[")})
    out:extend(div.content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  local kind = kind_of(div)
  if not kind then return nil end
  local title = div.attributes["title"]
  local body = div.content
  local title_inlines
  if title then
    title_inlines = pandoc.read(title, "markdown").blocks[1].content
  elseif #body > 0 and body[1].t == "Header" then
    title_inlines = body[1].content
    body = pandoc.List({table.unpack(body, 2)})
  else
    title_inlines = pandoc.Inlines({pandoc.Str(titles[kind])})
  end
  if FORMAT:match("typst") then
    local out = pandoc.List()
    out:insert(pandoc.RawBlock("typst", string.format(
      '#block(width: 100%%, inset: 8pt, radius: 2pt, stroke: (left: 3pt + rgb("%s"), rest: 0.5pt + luma(200)))[',
      colours[kind])))
    out:insert(pandoc.Para({pandoc.Strong(title_inlines)}))
    out:extend(body)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  local header = pandoc.Div({pandoc.Plain(title_inlines)}, pandoc.Attr("", {"callout-title"}))
  local inner = pandoc.Div(body, pandoc.Attr("", {"callout-body"}))
  local attr = pandoc.Attr(div.identifier, {"callout", "callout-" .. kind}, {role = "note"})
  return pandoc.Div({header, inner}, attr)
end
