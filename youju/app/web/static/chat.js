element.addEventListener('click', (e) => {
  const cite = e.target.closest('.yj-cite');
  if (cite) { e.preventDefault(); trigger('cite', {turn: +cite.dataset.turn, n: +cite.dataset.n}); return; }
  const fb = e.target.closest('.yj-fb');
  if (fb) { fb.classList.add('yj-done'); trigger('feedback', {turn: +fb.dataset.turn, rating: fb.dataset.rating, n: +(fb.dataset.n || 0)}); }
});
watch('value', () => { const box = element.querySelector('.yj-chat'); if (box) box.scrollTop = box.scrollHeight; });
