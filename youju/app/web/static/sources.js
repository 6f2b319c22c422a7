element.addEventListener('click', (e) => {
  const open = e.target.closest('.yj-open');
  if (open) { trigger('open_doc', {doc: open.dataset.doc, start: +open.dataset.start, end: +open.dataset.end}); return; }
  const fb = e.target.closest('.yj-fb');
  if (fb) { fb.classList.add('yj-done'); trigger('feedback', {turn: +fb.dataset.turn, rating: fb.dataset.rating, n: +(fb.dataset.n || 0)}); }
});
watch('value', () => { const s = element.querySelector('.yj-selected'); if (s) s.scrollIntoView({block: 'nearest'}); });
