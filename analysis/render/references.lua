-- The reference list carries text and web addresses, nothing else (issue 25).
--
-- citeproc reads a bibliography field as LaTeX: \href{javascript:...}{...} would become a
-- live link and \includegraphics{https://...} a tracking image. The data's validation refuses
-- both (analysis/evidence/bibfields.py); this filter is the second guard, whatever the file
-- holds. It works on citeproc's output (see Pandoc below for the order under each renderer),
-- inside the reference list (the div #refs) and every citation:
--   * an image is dropped;
--   * raw HTML, LaTeX or Typst is dropped;
--   * a link whose target is not an http(s) address (a DOI is one: https://doi.org/...) keeps
--     its text and loses its target; a citation's own link to its entry (#ref-key) stays.

local URL = "^https?://[%w%-%._~:/%?#%[%]@!%$&'%(%)%*%+,;=%%]+$"

local function guard(internal_ok)
  return {
    Image = function(_) return {} end,
    RawInline = function(_) return {} end,
    RawBlock = function(_) return {} end,
    Link = function(link)
      local target = link.target or ""
      if target:match(URL) or (internal_ok and target:match("^#ref%-[%w%-%._:]+$")) then
        return nil
      end
      return link.content
    end,
  }
end

local function sanitise(doc)
  return doc:walk({
    Div = function(div)
      if div.identifier == "refs" or div.classes:includes("references") then
        return div:walk(guard(false))
      end
    end,
    Cite = function(cite)
      cite.content = pandoc.Inlines(cite.content):walk(guard(true))
      return cite
    end,
  })
end

function Pandoc(doc)
  -- Quarto runs citeproc after every filter of its own and of the project, so under Quarto
  -- this filter resolves the citations itself (the same citeproc, pandoc.utils.citeproc) and
  -- then removes the bibliography, leaving Quarto's citeproc nothing more to do. Under the
  -- embedded renderer (no `quarto` module) it runs after --citeproc and only sanitises.
  if quarto ~= nil and quarto.doc ~= nil and quarto.doc.cite_method ~= nil
      and quarto.doc.cite_method() == "citeproc" and doc.meta.bibliography ~= nil then
    doc = pandoc.utils.citeproc(doc)
    doc.meta.bibliography = nil
    doc.meta.references = nil
    doc = sanitise(doc)
    -- a resolved citation becomes the span pandoc's HTML writer makes of it, so the second
    -- citeproc finds no citation left to resolve (or to mark "key?")
    return doc:walk({
      Cite = function(cite)
        local ids = {}
        for _, c in ipairs(cite.citations) do ids[#ids + 1] = c.id end
        local content = pandoc.Inlines(cite.content):walk({
          Link = function(link)
            if link.target:match("^#ref%-") then link.attributes.role = "doc-biblioref" end
            return link
          end,
        })
        return pandoc.Span(content, pandoc.Attr("", { "citation" },
          { ["data-cites"] = table.concat(ids, " ") }))
      end,
    })
  end
  return sanitise(doc)
end
